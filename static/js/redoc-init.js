// The API reference page (templates/api/redoc.html): start ReDoc on the schema, with the fonts every
// machine has. The container's data attributes carry the schema's address and any REDOC_UI_SETTINGS.
(() => {
  const container = document.getElementById('redoc-container')
  const fonts = { fontFamily: 'Arial, Helvetica, sans-serif' }
  const settings = Object.assign(
    {
      hideDownloadButton: false,
      theme: {
        typography: Object.assign({ headings: fonts, code: { fontFamily: 'Consolas, Menlo, monospace' } }, fonts)
      }
    },
    JSON.parse(container.dataset.settings || '{}')
  )
  window.Redoc.init(container.dataset.schemaUrl, settings, container)
})()
