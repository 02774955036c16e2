// The console's configuration: the one file that differs between the local runtime and a
// deployment. A classic script (not a module) so a deployment can replace it with generated
// values without touching app.js. See docs/console.md, "Deployment".
window.CANCELFLOW_CONFIG = {
  // "" = the same origin as the page (the local runtime serves the API and the console together).
  apiBase: "",
  // "local": choose a demo user, tokens from the local runtime's POST /local/token.
  // "cognito": the Cognito Hosted UI, authorization code flow with PKCE.
  auth: "local",
  cognito: {
    domain: "", // e.g. "https://cancelflow-prod.auth.ap-east-1.amazoncognito.com"
    clientId: "",
    redirectUri: "", // e.g. "https://console.example.com/console/" (must be registered on the client)
    scopes: ["openid", "email", "profile"],
  },
  // People who work from the console in the local demo (local/demo.py seeds the same ones).
  demoUsers: [
    { sub: "rev-wang", groups: ["reviewer"], name: { "zh-CN": "王审核(审核员)", en: "Wang (reviewer)" } },
    { sub: "rev-zhao", groups: ["reviewer"], name: { "zh-CN": "赵审核(审核员)", en: "Zhao (reviewer)" } },
    {
      sub: "senior-chen",
      groups: ["reviewer", "senior_reviewer"],
      name: { "zh-CN": "陈主管(高级审核员)", en: "Chen (senior reviewer)" },
    },
    { sub: "support-liu", groups: ["support"], name: { "zh-CN": "刘客服(客服)", en: "Liu (support)" } },
  ],
  // How often the queue and the refund list refresh while the page is visible.
  pollMs: 5000,
  defaultLang: "zh-CN",
};
