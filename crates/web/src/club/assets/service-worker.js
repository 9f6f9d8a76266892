// The club's service worker: shows the notifications the club sends (their text arrives
// encrypted through the browser's push service) and opens the club when one is tapped.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (_) {
    data = { body: event.data ? event.data.text() : "" };
  }
  const options = { body: data.body || "", tag: data.tag, dir: "auto", data: { url: data.url || "./" } };
  if (data.icon) options.icon = data.icon;
  event.waitUntil(self.registration.showNotification(data.title || "", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data.url, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((open) => {
      const tab = open.find((c) => c.url.startsWith(url) && "focus" in c);
      return tab ? tab.focus() : self.clients.openWindow(url);
    }),
  );
});
