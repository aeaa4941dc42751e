/* Starts CKEditor 5 on every rich-text textarea of an admin form, including inline rows added later.
   Only plugins for what our server-side allow-list keeps: no General HTML Support, source editing or embeds. */
(function () {
  "use strict";

  function csrfToken(element) {
    var form = element.closest("form");
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function start(textarea) {
    if (textarea.dataset.ckeditorStarted || textarea.name.indexOf("__prefix__") !== -1) {
      return;
    }
    textarea.dataset.ckeditorStarted = "true";
    var C = window.CKEDITOR;
    C.ClassicEditor.create(textarea, {
      licenseKey: "GPL",
      language: "zh-cn",
      translations: [window.CKEDITOR_TRANSLATIONS && window.CKEDITOR_TRANSLATIONS["zh-cn"]].filter(Boolean),
      plugins: [
        C.Essentials, C.Paragraph, C.Heading, C.Bold, C.Italic, C.Strikethrough, C.Link, C.AutoLink,
        C.List, C.BlockQuote, C.HorizontalLine, C.Table, C.TableToolbar, C.TableCaption,
        C.Image, C.ImageCaption, C.ImageToolbar, C.ImageTextAlternative, C.ImageUpload, C.SimpleUploadAdapter,
        C.Autoformat, C.PasteFromOffice
      ],
      toolbar: [
        "undo", "redo", "|", "heading", "|", "bold", "italic", "strikethrough", "link", "|",
        "bulletedList", "numberedList", "blockQuote", "horizontalLine", "|", "insertTable", "uploadImage"
      ],
      heading: {
        options: [
          { model: "paragraph", title: "正文", class: "ck-heading_paragraph" },
          { model: "heading2", view: "h2", title: "小标题", class: "ck-heading_heading2" },
          { model: "heading3", view: "h3", title: "三级标题", class: "ck-heading_heading3" }
        ]
      },
      link: { defaultProtocol: "https://" },
      image: { toolbar: ["imageTextAlternative", "toggleImageCaption"] },
      table: { contentToolbar: ["tableColumn", "tableRow", "mergeTableCells"] },
      simpleUpload: {
        uploadUrl: textarea.dataset.uploadUrl,
        withCredentials: true,
        headers: { "X-CSRFToken": csrfToken(textarea) }
      }
    }).then(function (editor) {
      textarea.ckeditorInstance = editor;
      // Keep the textarea current so that any submit (including Django's "save and continue") carries the text.
      editor.model.document.on("change:data", function () { editor.updateSourceElement(); });
    }).catch(function (error) {
      textarea.dataset.ckeditorStarted = "";
      textarea.hidden = false;
      console.error(error);
    });
  }

  function startAll(root) {
    (root || document).querySelectorAll("textarea[data-ckeditor]").forEach(start);
  }

  document.addEventListener("DOMContentLoaded", function () { startAll(document); });
  document.addEventListener("formset:added", function (event) { startAll(event.target); });
})();
