// Shared by the run viewer's pages. An item's details are a script beside the page ({{ items_dir }}/<name>.js,
// calling abItem(name, html)): a page opened from disk may load scripts, not fetch files. The html is
// escaped where it was made (page.py); it is set as HTML here for that reason only.
var abWaiting = {};
function abItem(name, html) {
  (abWaiting[name] || []).forEach(function (div) { div.innerHTML = html; });
  delete abWaiting[name];
}
function abLoad(name, div) {
  div.textContent = 'loading ' + name + '...';
  if (abWaiting[name]) { abWaiting[name].push(div); return; }
  abWaiting[name] = [div];
  var script = document.createElement('script');
  script.src = {{ items_dir | tojson }} + '/' + encodeURIComponent(name) + '.js';
  script.onerror = function () { div.textContent = 'could not load ' + script.src; delete abWaiting[name]; };
  script.onload = function () { script.remove(); };
  document.head.appendChild(script);
}
