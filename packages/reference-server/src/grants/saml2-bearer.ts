/**
 * The SAML 2.0 bearer grant (RFC 7522): a base64url SAML assertion signed by a trusted issuer
 * (XML signature checked by xml-crypto against the issuer's certificate). Only the signed
 * content is read (never the unverified document), then Issuer, Subject, Conditions, Audience,
 * bearer SubjectConfirmation (Recipient, NotOnOrAfter) and the single use of the assertion ID.
 */
import { DOMParser } from '@xmldom/xmldom'
import { base64url } from 'jose'
import { SignedXml } from 'xml-crypto'
import { invalidGrant } from '../errors.ts'
import { splitList } from '../http.ts'
import { rememberJti, type ServerState } from '../state.ts'
import { tokenResponse } from '../tokens.ts'
import { type GrantHandler, narrowScope, requestedAudience, requireParam } from './grant.ts'

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion'
const DSIG = 'http://www.w3.org/2000/09/xmldsig#'
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer'

type XmlElement = {
  localName: string | null
  namespaceURI: string | null
  textContent: string | null
  childNodes: ArrayLike<unknown>
  getAttribute(name: string): string | null
}

function parse(xml: string): XmlElement | undefined {
  try {
    const doc = new DOMParser({ onError: () => {} }).parseFromString(xml, 'text/xml')
    return (doc.documentElement as unknown as XmlElement | null) ?? undefined
  } catch {
    return undefined
  }
}

function children(el: XmlElement, name: string, ns = SAML): XmlElement[] {
  return Array.from(el.childNodes as ArrayLike<XmlElement>).filter(
    (n) => n.localName === name && n.namespaceURI === ns,
  )
}

function child(el: XmlElement | undefined, name: string, ns = SAML): XmlElement | undefined {
  return el ? children(el, name, ns)[0] : undefined
}

function time(value: string | null): number | undefined {
  if (!value) return undefined
  const t = Date.parse(value)
  return Number.isNaN(t) ? undefined : t / 1000
}

/** Verifies the assertion's signature and returns the signed Assertion element only. */
function verifiedAssertion(
  state: ServerState,
  xml: string,
): { issuer: string; assertion: XmlElement } {
  const unverified = parse(xml)
  if (unverified?.localName !== 'Assertion' || unverified.namespaceURI !== SAML) {
    throw invalidGrant('assertion is not a SAML 2.0 Assertion')
  }
  const claimedIssuer = child(unverified, 'Issuer')?.textContent?.trim()
  const trusted = state.trustedIssuers.find((t) => t.issuer === claimedIssuer && t.certificate)
  if (!trusted?.certificate) throw invalidGrant('assertion issuer is not trusted')
  const signature = child(unverified, 'Signature', DSIG)
  if (!signature) throw invalidGrant('assertion is not signed')
  const sig = new SignedXml({ publicCert: trusted.certificate, getCertFromKeyInfo: () => null })
  let valid = false
  try {
    sig.loadSignature(signature as unknown as Node)
    valid = sig.checkSignature(xml)
  } catch {
    valid = false
  }
  if (!valid) throw invalidGrant('assertion signature is invalid')
  const signed = sig.getSignedReferences()
  const assertion = signed.length === 1 ? parse(signed[0]!) : undefined
  if (
    assertion?.localName !== 'Assertion' ||
    assertion.namespaceURI !== SAML ||
    assertion.getAttribute('ID') !== unverified.getAttribute('ID')
  ) {
    throw invalidGrant('the signature must cover the whole assertion')
  }
  return { issuer: trusted.issuer, assertion }
}

export const saml2BearerGrant: GrantHandler = async ({
  state,
  client,
  form,
  jkt,
  x5t,
  grantType,
}) => {
  let xml: string
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(
      base64url.decode(requireParam(form, 'assertion')),
    )
  } catch (err) {
    if (err instanceof Error && err.name === 'OAuthHttpError') throw err
    throw invalidGrant('assertion is not base64url')
  }
  const { issuer, assertion } = verifiedAssertion(state, xml)
  const now = state.now()
  const tokenEndpoint = `${state.issuer}/token`
  if (child(assertion, 'Issuer')?.textContent?.trim() !== issuer) throw invalidGrant('wrong Issuer')
  const subject = child(assertion, 'Subject')
  const sub = child(subject, 'NameID')?.textContent?.trim()
  if (!sub) throw invalidGrant('assertion has no Subject NameID')
  const conditions = child(assertion, 'Conditions')
  const notBefore = time(conditions?.getAttribute('NotBefore') ?? null)
  const notOnOrAfter = time(conditions?.getAttribute('NotOnOrAfter') ?? null)
  if (notOnOrAfter === undefined) throw invalidGrant('assertion has no NotOnOrAfter')
  if (notBefore !== undefined && notBefore > now + 5) throw invalidGrant('assertion not yet valid')
  if (notOnOrAfter <= now - 5) throw invalidGrant('assertion expired')
  const audiences = conditions
    ? children(conditions, 'AudienceRestriction').flatMap((r) =>
        children(r, 'Audience').map((a) => a.textContent?.trim()),
      )
    : []
  if (!audiences.some((a) => a === state.issuer || a === tokenEndpoint)) {
    throw invalidGrant('assertion Audience is not this server')
  }
  const confirmed = subject
    ? children(subject, 'SubjectConfirmation').some((sc) => {
        if (sc.getAttribute('Method') !== BEARER) return false
        const data = child(sc, 'SubjectConfirmationData')
        const until = time(data?.getAttribute('NotOnOrAfter') ?? null)
        return (
          data?.getAttribute('Recipient') === tokenEndpoint &&
          until !== undefined &&
          until > now - 5
        )
      })
    : false
  if (!confirmed) throw invalidGrant('no valid bearer SubjectConfirmation for the token endpoint')
  const id = assertion.getAttribute('ID')
  if (!id || !rememberJti(state, `saml ${issuer} ${id}`, notOnOrAfter)) {
    throw invalidGrant('assertion ID missing or already used')
  }
  const allowed = splitList(client.scope).filter((s) => s !== 'openid' && s !== 'offline_access')
  return tokenResponse(state, {
    client,
    sub,
    scope: narrowScope(form.get('scope'), allowed, []),
    grantType,
    jkt,
    x5t,
    audience: requestedAudience(client, form),
  })
}
