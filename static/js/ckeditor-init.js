/* Starts CKEditor 5 on every rich-text textarea of an admin form, including inline rows added later.
   Only plugins for what our server-side allow-list keeps: no General HTML Support, source editing or embeds. */
(function () {
  "use strict";

  // Read at each upload, not once: logging in again in another tab gives a new token (the cookie), and an upload
  // with the page's old one was refused (403) after the login had ended and been renewed.
  function csrfToken(element) {
    var cookie = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (cookie) {
      return decodeURIComponent(cookie[1]);
    }
    var form = element.closest("form");
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // CKEditor's own words for an upload that got no answer of ours (the network dropped, the login ended, a proxy
  // refused the file) are English and untranslated: "Couldn't upload file: 会场.jpg.". Said in the admin's language.
  function uploadFailure(message) {
    var found = /^Couldn't upload file: (.*)\.$/.exec(message || "");
    if (!found || !uiIsChinese()) {
      return message;
    }
    return "图片“" + found[1] + "”没有上传成功：可能是网络中断，或登录已过期（请在新标签页中重新登录后再试）。";
  }

  function uiIsChinese() {
    return (document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0;
  }

  // CKEditor wants objects keyed by language code, { "zh-cn": { dictionary, getPluralForm } }: exactly what
  // zh-cn.umd.js puts into window.CKEDITOR_TRANSLATIONS. When only one language is loaded CKEditor uses it
  // whatever the UI language, so an English admin gets an empty English dictionary instead.
  // The newsroom's words where CKEditor's Chinese says something else: an image's caption is its 图说 (CKEditor
  // says "打开表标题", a table's title) and its alt text is 替代文字, as in the photo library ("替换文本").
  var NEWSROOM_WORDS = {
    "Toggle caption on": "添加图说",
    "Toggle caption off": "去掉图说",
    "Enter image caption": "输入图说",
    "Change image text alternative": "填写替代文字",
    "Text alternative": "替代文字"
  };

  function translationsFor(chinese) {
    var loaded = window.CKEDITOR_TRANSLATIONS || {};
    if (chinese && loaded["zh-cn"]) {
      return {
        "zh-cn": {
          dictionary: Object.assign({}, loaded["zh-cn"].dictionary, NEWSROOM_WORDS),
          getPluralForm: loaded["zh-cn"].getPluralForm
        }
      };
    }
    return { en: { dictionary: {}, getPluralForm: null } };
  }

  // What a screen reader says on entering the editing area: the field's own label ("正文"), and for an inline row
  // (an experience entry) that row's name first. CKEditor's default names no field ("富文本编辑器。编辑区域：main"),
  // the same for every editor of the page.
  function fieldLabel(textarea) {
    var label = textarea.id ? document.querySelector('label[for="' + textarea.id + '"]') : null;
    var text = label ? label.textContent.replace(/[:：]\s*$/, "").trim() : "";
    var row = textarea.closest(".inline-related");
    var rowName = row ? row.querySelector(".inline_label") : null;
    var context = rowName ? rowName.textContent.replace(/\s+/g, " ").trim() : "";
    if (context) {
      text = context + "：" + text;
    }
    return text || undefined;
  }

  // WPS marks ordinary runs of text mso-spacerun, a mark Word gives only to runs of spaces, and CKEditor's Word
  // clean-up (PasteFromOffice) turns such a span into as many spaces as it has characters: a paste from WPS became
  // blank space (ckeditor/ckeditor5#11738). The mark is taken off every span that holds more than white space
  // before that clean-up reads the pasted HTML.
  var SPACERUN = /mso-spacerun\s*:\s*(?:'|"|&#39;|&quot;)?yes(?:'|"|&#39;|&quot;)?\s*;?/gi;

  function keepSpacerunText(html) {
    return html.replace(/<span\b([^>]*)>([^<]*)/gi, function (whole, attributes, text) {
      var words = text.replace(/&nbsp;|&#160;|\s/g, "");
      if (!words || attributes.search(SPACERUN) === -1) {
        return whole;
      }
      return "<span" + attributes.replace(SPACERUN, "") + ">" + text;
    });
  }

  function start(textarea) {
    if (textarea.dataset.ckeditorStarted || textarea.name.indexOf("__prefix__") !== -1) {
      return;
    }
    var C = window.CKEDITOR;
    if (!C || !C.ClassicEditor) {
      console.error("CKEditor 5 is not loaded; the plain text box stays in use.");
      return;
    }
    textarea.dataset.ckeditorStarted = "true";
    var chinese = uiIsChinese();
    C.ClassicEditor.create(textarea, {
      licenseKey: "GPL",
      label: fieldLabel(textarea),
      // The interface follows the admin's language; the text itself is always Chinese.
      language: { ui: chinese ? "zh-cn" : "en", content: "zh-cn" },
      translations: [translationsFor(chinese)],
      plugins: [
        C.Essentials, C.Paragraph, C.Heading, C.Bold, C.Italic, C.Strikethrough, C.Link, C.AutoLink,
        C.List, C.BlockQuote, C.HorizontalLine, C.Table, C.TableToolbar, C.TableCaption,
        C.Image, C.ImageCaption, C.ImageToolbar, C.ImageTextAlternative, C.ImageUpload, C.SimpleUploadAdapter,
        C.Autoformat, C.PasteFromOffice
      ],
      // The photo button early: on a phone the toolbar's tail goes into its "more" menu, where the tooltip of
      // the menu's first item lay over the photo button and took the tap (a reporter could not add a photo).
      toolbar: [
        "undo", "redo", "|", "heading", "|", "uploadImage", "bold", "italic", "link", "|",
        "bulletedList", "numberedList", "blockQuote", "|", "strikethrough", "horizontalLine", "insertTable"
      ],
      heading: {
        options: [
          { model: "paragraph", title: chinese ? "正文" : "Paragraph", class: "ck-heading_paragraph" },
          // A paste's other levels (Word's 标题 1, 标题 4) become ours rather than plain paragraphs.
          { model: "heading2", view: "h2", title: chinese ? "小标题" : "Subheading", class: "ck-heading_heading2",
            upcastAlso: ["h1"] },
          { model: "heading3", view: "h3", title: chinese ? "三级标题" : "Minor heading", class: "ck-heading_heading3",
            upcastAlso: ["h4", "h5", "h6"] }
        ]
      },
      link: { defaultProtocol: "https://" },
      // Every kind of picture goes to the server, which says why it refuses one (HEIC from an iPhone, GIF...):
      // CKEditor itself silently ignores a file outside its own list.
      image: {
        toolbar: ["imageTextAlternative", "toggleImageCaption"],
        upload: { types: ["jpeg", "png", "webp", "gif", "bmp", "tiff", "heic", "heif", "avif"] }
      },
      table: { contentToolbar: ["tableColumn", "tableRow", "mergeTableCells"] },
      simpleUpload: {
        uploadUrl: textarea.dataset.uploadUrl,
        withCredentials: true,
        headers: function () { return { "X-CSRFToken": csrfToken(textarea) }; }
      }
    }).then(function (editor) {
      textarea.ckeditorInstance = editor;
      editor.plugins.get("Notification").on("show:warning", function (event, data) {
        data.message = uploadFailure(data.message);
      }, { priority: "high" });
      // Before PasteFromOffice (which reads the pasted HTML at a low priority).
      editor.editing.view.document.on("clipboardInput", function (event, data) {
        if (typeof data.content === "string") {
          data.content = keepSpacerunText(data.content);
        }
      }, { priority: "high" });
      // Keep the textarea current so that any submit (including Django's "save and continue") carries the text
      // (workflow-guard.js compares it too), and tell the form that it changed, as typing in a plain field does.
      editor.model.document.on("change:data", function () {
        editor.updateSourceElement();
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      });
    }).catch(function (error) {
      // Leave the plain textarea usable (CKEditor hides it with an inline style before it fails).
      textarea.dataset.ckeditorStarted = "";
      textarea.style.display = "";
      console.error(error);
    });
  }

  function startAll(root) {
    (root || document).querySelectorAll("textarea[data-ckeditor]").forEach(start);
  }

  // CKEditor takes from its photo button only files whose type the browser names image/…: a phone's file picker may
  // name an iPhone's HEIC photo application/octet-stream, and the photo was dropped without a word.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.closest || !input.closest(".ck-file-dialog-button") || !input.files) {
      return;
    }
    var unknown = Array.prototype.filter.call(input.files, function (file) {
      return file.type && file.type.indexOf("image/") !== 0;  // a file of no type is sent: the server answers
    }).map(function (file) { return file.name; });
    if (unknown.length) {
      window.alert(uiIsChinese()
        ? "无法识别" + unknown.join("、") + "的图片格式，没有上传：请选择 JPEG、PNG 或 WebP 格式的照片（iPhone 的 HEIC 照片请先在手机上转换成 JPEG）。"
        : "The picture format of " + unknown.join(", ") + " is unknown, so it was not uploaded: choose a JPEG, PNG or " +
          "WebP photo (convert an iPhone's HEIC photo to JPEG first).");
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () { startAll(document); });
  document.addEventListener("formset:added", function (event) { startAll(event.target); });
})();
