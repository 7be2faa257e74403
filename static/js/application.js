// Every page's script: GOV.UK Frontend's components, then our own enhancements.
// Pages work without it; it only enhances (error summary focus, password reveal,
// the mobile menu, the session timeout warning).
import { initAll } from '../govuk/govuk-frontend.min.js'
import { initSessionTimeout, restoreEntries } from './session-timeout.js'

// First, so that the notification banner it may add is initialised with the rest.
restoreEntries()
initAll()
initSessionTimeout(document.querySelector('[data-module="app-session-timeout"]'))
