// Starts the vendored Swagger UI on /docs (web/assets.py). A file rather than the inline script FastAPI's
// own page uses, which the Content-Security-Policy would block. Nothing is fetched from another site: no
// validator badge, the OpenAPI document comes from this server.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("swagger-ui");
    window.ui = window.SwaggerUIBundle({
      url: root.getAttribute("data-openapi-url"),
      domNode: root,
      layout: "BaseLayout",
      // No deep links: Swagger UI puts each one inside the operation's expand button, a link within a
      // button that keyboards and screen readers cannot use (axe-core: nested-interactive).
      deepLinking: false,
      showExtensions: true,
      showCommonExtensions: true,
      validatorUrl: null,
      presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
    });
  });
})();
