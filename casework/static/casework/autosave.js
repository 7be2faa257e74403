// Autosave for a case review section: an enhancement on top of the plain form.
// It posts the same form a few seconds after the last change and keeps the version
// field current. A stale version (someone else saved) stops autosave and tells the
// user to save normally, which shows the other person's changes beside their own.
// A save by hand while an autosave is on its way waits for it and takes its version:
// otherwise the server, having saved the draft, would refuse the form as a conflict
// with the user's own autosave.
const form = document.querySelector('form[data-autosave="on"]')
if (form && window.fetch) {
  const status = document.getElementById('autosave-status')
  const version = form.querySelector('input[name="version"]')
  let timer = null
  let stopped = false
  let inFlight = null // the autosave on its way, until its answer has been handled
  const send = async () => {
    const body = new FormData(form)
    try {
      const response = await fetch(window.location.href, {
        method: 'POST',
        body,
        headers: { 'X-Autosave': '1' },
        credentials: 'same-origin'
      })
      const result = await response.json()
      if (result.saved) {
        version.value = result.version
        // A save is activity: the session timeout warning restarts its clock.
        document.dispatchEvent(new CustomEvent('app:session-activity'))
        status.textContent = 'Draft saved at ' + new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
      } else if (result.stale) {
        stopped = true
        status.textContent = 'Someone else has changed this case. Select "Save" to see their changes; your entries are kept.'
      } else {
        status.textContent = 'Not saved automatically. Select "Save" to see what needs correcting.'
      }
    } catch (error) {
      status.textContent = 'Could not save automatically. Your entries are still on this page; select "Save" when you are back online.'
    }
  }
  const save = () => {
    if (stopped) return
    inFlight = send().finally(() => { inFlight = null })
  }
  form.addEventListener('change', () => { clearTimeout(timer); timer = setTimeout(save, 1500) })
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(save, 4000) })
  form.addEventListener('submit', (event) => {
    clearTimeout(timer)
    stopped = true
    if (inFlight && typeof form.requestSubmit === 'function') {
      event.preventDefault()
      const submitter = event.submitter || undefined // keeps "Save and continue" or "Save and return"
      inFlight.then(() => form.requestSubmit(submitter))
    }
  })
}
