// The OpenRPC project's own validator (formats checked) on a document:
// `node validate_openrpc.cjs document.json` prints "valid", or the errors and exits with 1.
const { readFileSync } = require("node:fs");
const { validateOpenRPCDocument } = require("@open-rpc/schema-utils-js");

const result = validateOpenRPCDocument(JSON.parse(readFileSync(process.argv[2], "utf8")));
if (result === true) {
  console.log("valid");
} else {
  console.log(result.message);
  process.exit(1);
}
