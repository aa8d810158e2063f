// The technician's job card: position from the phone, the customer's signature.
(function () {
  // Fill the position from the phone's location; the fields stay editable when it is refused.
  document.querySelectorAll("form[data-geo]").forEach(function (form) {
    var status = form.querySelector(".geo-status");
    function say(key) { if (status) { status.textContent = status.dataset[key]; } }
    if (!navigator.geolocation) { say("unavailable"); return; }
    navigator.geolocation.getCurrentPosition(function (position) {
      var longitude = form.querySelector("[name=longitude]"), latitude = form.querySelector("[name=latitude]");
      if (!longitude.value) { longitude.value = position.coords.longitude.toFixed(6); }
      if (!latitude.value) { latitude.value = position.coords.latitude.toFixed(6); }
      say("found");
    }, function () { say("unavailable"); }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });
  // The customer's signature: drawn on the canvas, sent as a PNG data URL.
  var pad = document.getElementById("signature-pad");
  if (!pad) { return; }
  var context = pad.getContext("2d"), drawing = false, drawn = false;
  context.lineWidth = 3; context.lineCap = "round"; context.strokeStyle = "#102a43";
  function at(event) {
    var box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
  }
  pad.addEventListener("pointerdown", function (event) {
    var point = at(event); drawing = true; context.beginPath(); context.moveTo(point[0], point[1]);
    pad.setPointerCapture(event.pointerId);
  });
  pad.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var point = at(event); context.lineTo(point[0], point[1]); context.stroke(); drawn = true;
  });
  pad.addEventListener("pointerup", function () { drawing = false; });
  document.getElementById("signature-clear").addEventListener("click", function () {
    context.clearRect(0, 0, pad.width, pad.height); drawn = false;
  });
  pad.closest("form").addEventListener("submit", function () {
    if (drawn) { this.querySelector("[name=signature_data]").value = pad.toDataURL("image/png"); }
  });
})();
