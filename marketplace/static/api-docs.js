// The API's docs page (/api/v1/docs): Swagger UI over the generated OpenAPI document. A file
// of its own, not an inline script, so the site's CSP (no 'unsafe-inline') holds here too.
(function () {
  "use strict";
  var root = document.getElementById("api-docs");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    persistAuthorization: false,
  });
})();
