import { handlePopupCallback } from '@openrp/browser'

if (!handlePopupCallback()) {
  const status = document.querySelector('[data-testid="popup-callback-status"]')
  if (status) status.textContent = 'This page finishes a popup sign-in; open the demo instead.'
}
