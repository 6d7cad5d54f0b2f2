// Regenerates ../safetx_vectors.json: safeTxHash, EIP-712 domain and message
// hashes from @safe-global/protocol-kit's calculateSafeTransactionHash and
// preimageSafeTransactionHash, and each case's owner signature from viem's
// account.sign (raw ECDSA over the hash, RFC 6979, v 27/28), for a
// deterministic spread of chain ids, operations, values, data, gas fields
// and nonces. Run: npm install && node gen.mjs  (see README.md).
import { writeFileSync, readFileSync } from 'node:fs'
import { calculateSafeTransactionHash, preimageSafeTransactionHash } from '@safe-global/protocol-kit'
import { privateKeyToAccount } from 'viem/accounts'
import { keccak256, toHex } from 'viem'

const kitVersion = JSON.parse(readFileSync('node_modules/@safe-global/protocol-kit/package.json')).version
const viemVersion = JSON.parse(readFileSync('node_modules/viem/package.json')).version

// A tiny deterministic generator: keccak of a counter, so the file is
// reproducible byte for byte.
let counter = 0
const rand = () => keccak256(toHex(`tminus-safe-vectors-${counter++}`)) // 0x + 64 hex
const randAddr = () => '0x' + rand().slice(2, 42)
const randBytes = (n) => { let s = ''; while (s.length < 2 * n) s += rand().slice(2); return '0x' + s.slice(0, 2 * n) }
const randUint = (bits) => (BigInt(rand()) >> BigInt(256 - bits)).toString()
const MAX = ((1n << 256n) - 1n).toString()

const chainIds = ['1', '10', '137', '1337', '11155111', '42161', '18446744073709551617', MAX]
const values = ['0', '1', '1000000000000000000', MAX]
const datas = ['0x', '0x8456cb59' /* pause() */, '0x694e80c30000000000000000000000000000000000000000000000000000000000000001' /* changeThreshold(1) */]
const keys = [1n, 2n, 0xdeadbeefn].map((k) => '0x' + k.toString(16).padStart(64, '0'))
const zero = '0x0000000000000000000000000000000000000000'

const cases = []
for (let i = 0; i < 48; i++) {
  const safe = randAddr()
  const chainId = chainIds[i % chainIds.length]
  const tx = {
    to: i % 5 === 0 ? safe : randAddr(),
    value: values[i % values.length],
    data: i < datas.length * 4 ? datas[i % datas.length] : randBytes(Number(BigInt(rand()) % 300n) + 1),
    operation: i % 3 === 2 ? 1 : 0,
    safeTxGas: i % 4 === 0 ? '0' : randUint(i % 2 ? 24 : 256),
    baseGas: i % 4 === 1 ? '0' : randUint(i % 2 ? 16 : 256),
    gasPrice: i % 4 === 2 ? '0' : randUint(i % 2 ? 40 : 256),
    gasToken: i % 3 === 0 ? zero : randAddr(),
    refundReceiver: i % 4 === 3 ? zero : randAddr(),
    nonce: i % 6 === 0 ? '0' : randUint([8, 32, 64, 256][i % 4]),
  }
  const version = i % 2 ? '1.3.0' : '1.4.1'
  const hash = calculateSafeTransactionHash(safe, tx, version, BigInt(chainId))
  const pre = preimageSafeTransactionHash(safe, tx, version, BigInt(chainId))
  // The preimage is 0x1901 || domainSeparator || hashStruct(SafeTx).
  if (!pre.startsWith('0x1901') || pre.length !== 2 + 2 * 66) throw new Error('unexpected preimage ' + pre)
  const account = privateKeyToAccount(keys[i % keys.length])
  const signature = await account.sign({ hash })
  cases.push({
    safe_version: version,
    tx: {
      chain_id: chainId, safe, to: tx.to, value: tx.value, data: tx.data, operation: tx.operation,
      safe_tx_gas: tx.safeTxGas, base_gas: tx.baseGas, gas_price: tx.gasPrice, gas_token: tx.gasToken,
      refund_receiver: tx.refundReceiver, nonce: tx.nonce,
    },
    domain_hash: '0x' + pre.slice(6, 70),
    message_hash: '0x' + pre.slice(70),
    safe_tx_hash: hash,
    signer_key: keys[i % keys.length],
    signer: account.address,
    signature,
  })
}
writeFileSync('../safetx_vectors.json', JSON.stringify({
  generator: `@safe-global/protocol-kit@${kitVersion} calculateSafeTransactionHash, preimageSafeTransactionHash; viem@${viemVersion} account.sign`,
  cases,
}, null, 1) + '\n')
console.log(`wrote ${cases.length} cases`)
