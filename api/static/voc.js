/* voc dashboard helpers: fetch with the session's CSRF token, and small progressive enhancements. */
(function () {
  "use strict";
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  /* POST (or another method) to a dashboard URL and parse the JSON answer; throws with the
     server's message on an error status. */
  function send(url, options) {
    options = options || {};
    var headers = Object.assign({"Accept": "application/json", "X-CSRF-Token": csrf()}, options.headers || {});
    return fetch(url, {method: options.method || "POST", body: options.body, headers: headers,
                       credentials: "same-origin"}).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var message = (data && data.error && data.error.message) || ("request failed (" + response.status + ")");
          throw new Error(message);
        }
        return data;
      });
    });
  }
  function getJSON(url) {
    return fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error((data.error && data.error.message) || ("request failed (" + r.status + ")"));
        return data;
      });
    });
  }
  window.Voc = {csrf: csrf, send: send, getJSON: getJSON};
})();
