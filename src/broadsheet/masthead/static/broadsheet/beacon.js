// Counts this page view once the page is really shown to a reader. Cached pages cannot count
// themselves on the server, so they report here. Prerendered pages wait until they are shown.
(function () {
  "use strict";
  var id = document.body && document.body.getAttribute("data-page");
  if (!id || !navigator.sendBeacon) return;
  function send() {
    var data = new FormData();
    data.append("page", id);
    navigator.sendBeacon("/_/view", data);
  }
  if (document.prerendering) {
    document.addEventListener("prerenderingchange", send, { once: true });
  } else {
    send();
  }
})();
