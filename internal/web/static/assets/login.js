// Login page: show why the last attempt failed. The server redirects to
// /login?error=<message>; the message is shown as text only.
const msg = new URLSearchParams(location.search).get('error');
if (msg) {
  const box = document.getElementById('login-error');
  box.textContent = `Login failed: ${msg.slice(0, 200)}`;
  box.hidden = false;
}
