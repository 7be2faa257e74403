// The API reference page (templates/api/redoc.html), before ReDoc loads.
// ReDoc's menu credits Redocly with a logo from Redocly's CDN: draw an empty image instead,
// so the docs ask nothing of any other server (the Content-Security-Policy would refuse it too).
(() => {
  const empty = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
  const ours = (value) => {
    const url = new URL(String(value), location.href)
    return url.origin === location.origin || url.protocol === 'data:' || url.protocol === 'blob:' ? value : empty
  }
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src')
  Object.defineProperty(HTMLImageElement.prototype, 'src', {
    configurable: true,
    enumerable: src.enumerable,
    get () { return src.get.call(this) },
    set (value) { src.set.call(this, ours(value)) }
  })
  const setAttribute = Element.prototype.setAttribute
  Element.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, this instanceof HTMLImageElement && name.toLowerCase() === 'src' ? ours(value) : value)
  }
})()
