// The page's configuration: the one file that differs between the local runtime and a
// deployment (a classic script, so a deployment replaces it without touching app.js).
window.CANCELFLOW_WEB = {
  // "" = the page's own origin (the local runtime serves the API and this page together)
  apiBase: "",
  // "local": choose a demo customer, tokens from the local runtime's POST /local/token. A
  // platform's app signs its customers in its own way and hands this page their token.
  auth: "local",
  demoCustomers: [
    { sub: "cust-lilei", name: { "zh-CN": "李雷", en: "Li Lei" } },
    { sub: "cust-hanmeimei", name: { "zh-CN": "韩梅梅", en: "Han Meimei" } },
  ],
  defaultLang: "zh-CN",
};
