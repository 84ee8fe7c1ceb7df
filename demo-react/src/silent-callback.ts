import { handleSilentCallback } from '@openrp/browser'

handleSilentCallback()
