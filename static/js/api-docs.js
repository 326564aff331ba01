// The REST API's documentation page (static/api-docs.html): Swagger UI on the OpenAPI
// document the app generates. A file, not an inline script: the site's CSP allows only
// scripts from 'self'.
(function () {
  "use strict";
  var root = document.getElementById("api-docs");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    validatorUrl: null  // never send the document to an outside validator
  });
})();
