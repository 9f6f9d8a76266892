// The club widget a web shop puts on its pages: a floating button that opens the club's panel
// for the shop's signed-in customer. The shop's script tag carries the connection's code and a
// token it signed (docs/INTEGRATIONS.md); PHILIA_CLUB (the club's name and colour) is written
// above this by the server.
(function () {
  var me = document.currentScript;
  if (!me || !me.getAttribute('data-token')) return;
  var base = me.src.replace(/\/widget\.js(\?.*)?$/, '');
  var query = '?c=' + encodeURIComponent(me.getAttribute('data-connection') || '') +
    '&t=' + encodeURIComponent(me.getAttribute('data-token')) +
    (me.getAttribute('data-lang') === 'en' ? '&l=en' : '');
  var label = me.getAttribute('data-label') || PHILIA_CLUB.name;
  var side = document.documentElement.dir === 'rtl' ? 'left' : 'right';
  var button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('data-philia-club', '');
  button.style.cssText = 'position:fixed;bottom:16px;' + side + ':16px;z-index:2147483000;border:0;border-radius:999px;' +
    'padding:12px 18px;background:' + PHILIA_CLUB.colour + ';color:#fff;font:inherit;font-weight:600;' +
    'box-shadow:0 4px 16px rgba(0,0,0,.25);cursor:pointer';
  var frame = null;
  button.addEventListener('click', function () {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.title = label;
      frame.src = base + '/widget' + query;
      frame.setAttribute('referrerpolicy', 'no-referrer');
      frame.style.cssText = 'position:fixed;bottom:72px;' + side + ':16px;z-index:2147483000;' +
        'width:min(360px,calc(100vw - 32px));height:min(520px,calc(100vh - 96px));border:0;border-radius:16px;' +
        'box-shadow:0 8px 32px rgba(0,0,0,.3);background:#fff';
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute('aria-expanded', String(!frame.hidden));
  });
  document.body.appendChild(button);
})();
