// The smoke flow as a workerd (Cloudflare Workers) module worker: GET /?config=<JSON> runs it and
// answers { passed } or, with status 500, { error }.
import { smokeFlow } from './smoke-flow.mjs'

export default {
  async fetch(request) {
    const config = JSON.parse(new URL(request.url).searchParams.get('config') ?? '{}')
    try {
      return Response.json({ passed: await smokeFlow(config) })
    } catch (error) {
      return Response.json({ error: String(error?.stack ?? error) }, { status: 500 })
    }
  },
}
