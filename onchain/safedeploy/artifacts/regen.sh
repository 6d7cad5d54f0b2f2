#!/usr/bin/env bash
# Regenerates the artifacts in this directory from the npm registry:
#   Safe v1.4.1 (singleton, proxy factory, fallback handler) from
#   @safe-global/safe-contracts@1.4.1's Hardhat build artifacts, trimmed to
#   contractName, abi and bytecode; and PausableTarget.sol compiled with
#   solc-js 0.8.30 (--optimize). Needs node and npm; tests never run it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund @safe-global/safe-contracts@1.4.1 solc@0.8.30 >/dev/null
build=node_modules/@safe-global/safe-contracts/build/artifacts/contracts
for a in Safe.sol/Safe proxies/SafeProxyFactory.sol/SafeProxyFactory handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler; do
  node -e '
    const fs = require("fs");
    const a = JSON.parse(fs.readFileSync(process.argv[1]));
    const v = require("@safe-global/safe-contracts/package.json").version;
    fs.writeFileSync(process.argv[2], JSON.stringify({package: "@safe-global/safe-contracts@" + v,
      contractName: a.contractName, sourceName: a.sourceName, abi: a.abi, bytecode: a.bytecode}, null, 1) + "\n");
  ' "$build/$a.json" "$here/$(basename "$a").json"
done
cp "$here/PausableTarget.sol" .
npx solcjs --bin --abi --optimize -o out PausableTarget.sol
node -e '
  const fs = require("fs");
  const abi = JSON.parse(fs.readFileSync("out/PausableTarget_sol_PausableTarget.abi"));
  const bin = fs.readFileSync("out/PausableTarget_sol_PausableTarget.bin", "utf8").trim();
  fs.writeFileSync(process.argv[1], JSON.stringify({compiler: "solc-js " + require("solc/package.json").version + " --optimize",
    contractName: "PausableTarget", sourceName: "PausableTarget.sol", abi, bytecode: "0x" + bin}, null, 1) + "\n");
' "$here/PausableTarget.json"
echo "regenerated in $here"
