// Starts Swagger UI (from the npm package swagger-ui-dist) on the API docs page; a browser
// session sends its CSRF token with "Try it out" requests.
(function () {
  "use strict";
  var body = document.body.dataset;
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  if (body.apiCsrf && body.csrfToken) {
    config.requestInterceptor = function (req) { req.headers["X-CSRFToken"] = body.csrfToken; return req; };
  }
  window.ui = SwaggerUIBundle(config);
})();
