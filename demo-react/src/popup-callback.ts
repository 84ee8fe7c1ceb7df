import { handlePopupCallback } from '@openrp/browser'

handlePopupCallback()
