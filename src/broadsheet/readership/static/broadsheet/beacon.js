// Counts this page view once the page is really shown to a reader. Cached pages cannot count
// themselves on the server, so they report here. Prerendered pages wait until they are shown.
// Sent: the page id, the page's referrer (the server keeps only its domain) and the page's
// query string (the server keeps only utm_source, utm_medium and utm_campaign). No cookies.
(function () {
  "use strict";
  var id = document.body && document.body.getAttribute("data-page");
  if (!id || !navigator.sendBeacon) return;
  function send() {
    var data = new URLSearchParams();
    data.append("page", id);
    if (document.referrer) data.append("r", document.referrer);
    if (location.search) data.append("q", location.search);
    navigator.sendBeacon("/_/view", data);
  }
  if (document.prerendering) {
    document.addEventListener("prerenderingchange", send, { once: true });
  } else {
    send();
  }
})();
