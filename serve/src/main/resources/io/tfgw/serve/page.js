// tensor filter: hide tensors whose name does not contain the text, and scopes left empty
(function () {
  var input = document.getElementById('filter');
  if (input) {
    var apply = function () {
      var q = input.value.toLowerCase();
      document.querySelectorAll('#tree li.tensor').forEach(function (li) {
        li.style.display = li.getAttribute('data-name').toLowerCase().indexOf(q) >= 0 ? '' : 'none';
      });
      document.querySelectorAll('#tree li.scope').forEach(function (li) {
        var any = Array.prototype.some.call(li.querySelectorAll('li.tensor'), function (t) { return t.style.display !== 'none'; });
        li.style.display = any ? '' : 'none';
      });
    };
    input.addEventListener('input', apply);
    if (input.value) { apply(); } // ?filter= in the page's URL
  }
  // conversions in progress, from /api/conversions
  var box = document.getElementById('conversions');
  function poll() {
    fetch('/api/conversions', {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (list) {
      box.textContent = list.length === 0 ? 'none' : list.map(function (c) {
        return c.source + ' -> ' + c.to + ' (' + (c.tensors_total ? c.tensors_done + '/' + c.tensors_total + ' tensors, ' : '')
          + c.seconds + ' s)';
      }).join('; ');
    }).catch(function () {});
  }
  if (box) { poll(); setInterval(poll, 2000); }
})();
