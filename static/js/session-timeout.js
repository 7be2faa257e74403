// The session timeout warning, and keeping unsaved entries across a forced sign-in.
//
// The server ends a session after SESSION_COOKIE_AGE seconds without a request
// (every request renews it). This script counts from the last request made by any
// tab of this browser (shared through localStorage), warns a little before the end,
// and offers "Stay signed in", which posts to the keep-alive endpoint.
//
// Once the session has ended, what the user typed and did not save must not be
// lost: the changed forms are copied into sessionStorage (this tab only), the
// user signs in again, and the same page puts the entries back for them to check
// and save. The hidden fields come back too: a case review's version field then
// makes a save over someone else's newer changes a visible conflict, not an
// overwrite. Passwords, files and CSRF tokens are never copied.

const ACTIVITY_KEY = 'app-session-last-activity'
const STASH_PREFIX = 'app-unsaved-entries:'
const STASH_MAX_AGE_MS = 12 * 60 * 60 * 1000
const SKIPPED_TYPES = new Set(['password', 'file', 'submit', 'button', 'reset', 'image'])

function currentUser () {
  return document.body.dataset.appUser || ''
}

function stashKey () {
  return STASH_PREFIX + window.location.pathname + window.location.search
}

function storage (kind) {
  try {
    const store = window[kind]
    store.setItem('app-storage-test', '1')
    store.removeItem('app-storage-test')
    return store
  } catch (error) {
    return null // private browsing or storage turned off: the warning still works
  }
}

function restorableForms () {
  return Array.from(document.querySelectorAll('form')).filter(
    (form) => form.method.toLowerCase() === 'post' && !form.hasAttribute('data-app-no-restore')
  )
}

function formKey (form, index) {
  return `${index}:${form.getAttribute('action') || ''}`
}

function isChanged (element) {
  if (element.type === 'checkbox' || element.type === 'radio') return element.checked !== element.defaultChecked
  if (element.tagName === 'SELECT') return Array.from(element.options).some((o) => o.selected !== o.defaultSelected)
  return element.value !== element.defaultValue
}

function copyableElements (form) {
  return Array.from(form.elements).filter(
    (element) =>
      element.name &&
      !element.disabled &&
      element.name !== 'csrfmiddlewaretoken' &&
      !SKIPPED_TYPES.has(element.type)
  )
}

function stashEntries () {
  const store = storage('sessionStorage')
  if (!store) return false
  const forms = []
  restorableForms().forEach((form, index) => {
    const elements = copyableElements(form)
    if (!elements.some(isChanged)) return
    const fields = []
    elements.forEach((element) => {
      if (element.type === 'checkbox' || element.type === 'radio') {
        fields.push({ name: element.name, value: element.value, checked: element.checked })
      } else if (element.tagName === 'SELECT' && element.multiple) {
        Array.from(element.selectedOptions).forEach((o) => fields.push({ name: element.name, value: o.value }))
      } else {
        fields.push({ name: element.name, value: element.value })
      }
    })
    forms.push({ key: formKey(form, index), fields })
  })
  if (forms.length === 0) return false
  store.setItem(stashKey(), JSON.stringify({ user: currentUser(), savedAt: Date.now(), forms }))
  return true
}

function fill (form, fields) {
  const byName = new Map()
  fields.forEach((field) => {
    if (!byName.has(field.name)) byName.set(field.name, [])
    byName.get(field.name).push(field)
  })
  copyableElements(form).forEach((element) => {
    const saved = byName.get(element.name)
    if (!saved) return
    if (element.type === 'checkbox' || element.type === 'radio') {
      element.checked = saved.some((field) => field.value === element.value && field.checked)
    } else if (element.tagName === 'SELECT' && element.multiple) {
      Array.from(element.options).forEach((o) => { o.selected = saved.some((field) => field.value === o.value) })
    } else {
      element.value = saved[0].value
    }
  })
}

function showRestoredBanner () {
  const main = document.getElementById('main-content')
  if (!main) return
  const banner = document.createElement('div')
  banner.className = 'govuk-notification-banner'
  banner.setAttribute('role', 'alert')
  banner.setAttribute('aria-labelledby', 'app-restored-title')
  banner.setAttribute('data-module', 'govuk-notification-banner')
  banner.innerHTML =
    '<div class="govuk-notification-banner__header">' +
    '<h2 class="govuk-notification-banner__title" id="app-restored-title">Important</h2></div>' +
    '<div class="govuk-notification-banner__content"><p class="govuk-notification-banner__heading">' +
    'What you entered before you were signed out has been put back on this page. ' +
    'It is not saved yet: check it, then save.</p></div>'
  main.prepend(banner)
}

// Call before GOV.UK Frontend's initAll, so that the banner it adds is set up (and focused) with the others.
export function restoreEntries () {
  const store = storage('sessionStorage')
  const user = currentUser()
  if (!store || !user) return
  const raw = store.getItem(stashKey())
  if (!raw) return
  store.removeItem(stashKey())
  let stash
  try {
    stash = JSON.parse(raw)
  } catch (error) {
    return
  }
  // Never give one person's entries to another who signs in on the same tab.
  if (stash.user !== user || Date.now() - stash.savedAt > STASH_MAX_AGE_MS) return
  let restored = false
  restorableForms().forEach((form, index) => {
    const saved = stash.forms.find((entry) => entry.key === formKey(form, index))
    if (saved) {
      fill(form, saved.fields)
      restored = true
    }
  })
  if (restored) showRestoredBanner()
}

function forgetEntries () {
  const store = storage('sessionStorage')
  if (!store) return
  Object.keys(store)
    .filter((key) => key.startsWith(STASH_PREFIX))
    .forEach((key) => store.removeItem(key))
}

function describe (milliseconds) {
  const seconds = Math.max(0, Math.ceil(milliseconds / 1000))
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60)
    return minutes === 1 ? '1 minute' : `${minutes} minutes`
  }
  return seconds === 1 ? '1 second' : `${seconds} seconds`
}

export function initSessionTimeout (dialog) {
  document.querySelectorAll('form[data-app-sign-out]').forEach((form) => form.addEventListener('submit', forgetEntries))
  if (!dialog || typeof dialog.showModal !== 'function') return

  const timeoutMs = Number(dialog.dataset.timeoutSeconds) * 1000
  const warningMs = Number(dialog.dataset.warningSeconds) * 1000
  const warning = dialog.querySelector('[data-app-timeout-warning]')
  const expired = dialog.querySelector('[data-app-timeout-expired]')
  const countdown = dialog.querySelector('[data-app-timeout-countdown]')
  const announce = dialog.querySelector('[data-app-timeout-announce]')
  const keepAlive = warning.querySelector('form')
  const signInAgain = expired.querySelector('a')
  const activityStore = storage('localStorage')
  let lastActivity = Date.now()
  let state = 'active' // then 'warning', and back, or 'expired'
  let returnFocusTo = null
  let announcedMinute = false

  const recordActivity = () => {
    lastActivity = Date.now()
    if (activityStore) activityStore.setItem(ACTIVITY_KEY, String(lastActivity))
  }
  // Another tab's requests renew the same session, so the latest activity of any tab counts.
  const latestActivity = () => Math.max(lastActivity, Number(activityStore && activityStore.getItem(ACTIVITY_KEY)) || 0)

  const openWarning = () => {
    state = 'warning'
    announcedMinute = false
    returnFocusTo = document.activeElement
    dialog.setAttribute('aria-labelledby', 'app-timeout-warning-title')
    dialog.setAttribute('aria-describedby', 'app-timeout-warning-text')
    warning.hidden = false
    expired.hidden = true
    dialog.showModal()
    keepAlive.querySelector('button').focus()
  }

  const closeWarning = () => {
    state = 'active'
    announce.textContent = ''
    if (dialog.open) dialog.close()
    if (returnFocusTo && typeof returnFocusTo.focus === 'function') returnFocusTo.focus()
  }

  const expire = () => {
    state = 'expired'
    stashEntries()
    dialog.setAttribute('aria-labelledby', 'app-timeout-expired-title')
    dialog.setAttribute('aria-describedby', 'app-timeout-expired-text')
    warning.hidden = true
    expired.hidden = false
    if (!dialog.open) dialog.showModal()
    signInAgain.focus()
    announce.textContent = 'You have been signed out.'
  }

  const tick = () => {
    if (state === 'expired') return
    const remaining = latestActivity() + timeoutMs - Date.now()
    if (remaining <= 0) {
      expire()
    } else if (remaining <= warningMs) {
      countdown.textContent = describe(remaining)
      if (state !== 'warning') openWarning()
      if (remaining <= 60 * 1000 && !announcedMinute) {
        announcedMinute = true
        announce.textContent = 'You will be signed out in 1 minute.'
      }
    } else if (state === 'warning') {
      closeWarning() // another tab kept the session alive
    }
  }

  keepAlive.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const response = await window.fetch(keepAlive.action, {
        method: 'POST',
        body: new FormData(keepAlive),
        credentials: 'same-origin',
        headers: { Accept: 'application/json' }
      })
      if (response.ok) {
        recordActivity()
        closeWarning()
      } else {
        expire()
      }
    } catch (error) {
      announce.textContent = 'We could not reach the service. Check your connection, then select "Stay signed in" again.'
    }
  })

  // Escape closes a modal dialog; while the session is alive, treat it as "Stay signed in".
  dialog.addEventListener('cancel', (event) => {
    if (state === 'warning') {
      event.preventDefault()
      keepAlive.requestSubmit()
    }
  })

  // After the session has ended, a form posted from this page would be refused and its
  // entries lost: keep them and go to sign in instead.
  document.addEventListener(
    'submit',
    (event) => {
      if (state !== 'expired' || event.target === keepAlive) return
      event.preventDefault()
      stashEntries()
      window.location.assign(signInAgain.href)
    },
    true
  )

  // Scripts that talk to the server (autosave) renew the session too: they say so with this event.
  document.addEventListener('app:session-activity', recordActivity)

  recordActivity()
  window.setInterval(tick, 1000)
}
