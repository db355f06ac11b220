import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** PEM files: a certificate and its private key. */
export interface Issued {
  readonly cert: string
  readonly key: string
}

/** A certificate authority made by openssl in `dir`: its certificate file, and a way to issue certificates for 127.0.0.1. */
export interface TestCa {
  /** The CA's certificate (PEM file). */
  readonly ca: string
  /** A certificate for 127.0.0.1 and localhost signed by this CA, named `name` in `dir`. */
  issue(name: string): Issued
}

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' })

/** A new CA for one day, its files in `dir` under `name`; the certificates it issues serve a server or a client. */
export function makeCa(dir: string, name: string): TestCa {
  const ca = join(dir, `${name}-ca.pem`)
  const caKey = join(dir, `${name}-ca-key.pem`)
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '1', '-subj', `/CN=keepsake test CA ${name}`)
  return {
    ca,
    issue: (who) => {
      const key = join(dir, `${who}-key.pem`)
      const csr = join(dir, `${who}.csr`)
      const cert = join(dir, `${who}.pem`)
      const ext = join(dir, `${who}.ext`)
      writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n')
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${who}`)
      openssl('x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext)
      return { cert, key }
    }
  }
}
