// From the GOV.UK page template, as a file so that the Content-Security-Policy needs no inline script:
// lets the styles know that the page's JavaScript will run. Loaded at the top of <body>, not deferred,
// so that nothing is drawn first without it.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')
