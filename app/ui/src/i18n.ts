// UI text in English and Japanese. The language follows the browser until the person picks one.

import { createContext } from "preact";
import { useContext } from "preact/hooks";

const en = {
  brand_tagline: "Answers from your documents",
  skip_to_question: "Skip to the question box",
  language: "Language",
  show_documents: "Documents",
  show_sources: "Sources",
  close: "Close",
  cancel: "Cancel",
  retry: "Retry",
  save: "Save",
  delete: "Delete",

  model_loading: "Loading the answering model…",
  model_lazy: "The model loads with the first question",
  model_error: "The answering model failed to load",
  model_restarting: "The answering model is restarting…",
  model_unreachable: "The answering server is unreachable",
  model_ready: "Ready",
  server_starting: "The server is starting…",
  server_unreachable: "The server cannot be reached",

  collection: "Collection",
  new_collection: "New collection",
  collection_name: "Collection name",
  create: "Create",
  n_documents: "{n} documents",
  one_document: "1 document",
  collection_loading: "Collections are still loading; add the files again in a moment.",

  add_documents: "Add documents",
  drop_here: "Drop PDF or text files here",
  or: "or",
  choose_files: "choose files",
  formats: "PDF, TXT, Markdown or HTML · several at once",
  drop_overlay: "Drop to add to “{c}”",
  uploads: "Uploads",
  clear_finished: "Clear finished",
  dismiss: "Dismiss",
  stage_waiting: "Waiting to upload…",
  stage_uploading: "Uploading {pct}%",
  stage_queued: "Queued for reading",
  stage_claimed: "Starting…",
  stage_extracting: "Reading page {done} of {total}",
  stage_extracting_start: "Reading pages…",
  stage_ocr: "OCR page {done} of {total}",
  stage_chunking: "Splitting into passages…",
  stage_embedding: "Embedding passages {done} / {total}",
  stage_writing: "Saving…",
  stage_retrying: "Will retry after an error: {error}",
  stage_ready: "Ready",
  ready_detail: "{pages} · {chunks}",
  stage_failed: "Failed",
  duplicate: "Already in this collection, not added again",
  upload_failed: "Upload failed",

  documents: "Documents",
  no_documents: "No documents yet. Add some above, then ask questions about them.",
  documents_loading: "Loading documents…",
  status_queued: "Queued",
  status_processing: "Processing",
  status_ready: "Ready",
  status_failed: "Failed",
  n_pages: "{n} pages",
  one_page: "1 page",
  n_passages: "{n} passages",
  one_passage: "1 passage",
  open_original: "Open original",
  view_text: "View text",
  document_actions: "{name}",
  confirm_delete_title: "Delete this document?",
  confirm_delete_body: "“{name}” and its passages will be removed from “{c}”. This cannot be undone.",
  deleted: "Deleted “{name}”.",

  asking_in: "Asking in “{c}”",
  new_chat: "New conversation",
  question_label: "Your question",
  placeholder: "Ask about your documents…",
  send: "Send",
  stop: "Stop",
  composer_hint: "Enter to send · Shift+Enter for a new line",
  composer_hint_streaming: "Esc or Stop to end the answer",
  empty_title: "Ask anything about your documents",
  empty_body:
    "Every answer cites its sources. Hover a citation number to read the passage; click it to see the passage highlighted on its page.",
  empty_no_docs: "Start by adding a PDF or text file.",
  you: "You",
  shiori: "Shiori",
  retrieving: "Searching your documents…",
  generating: "Reading {n} passages…",
  generating_one: "Reading 1 passage…",
  stopped: "Stopped. The answer above is incomplete and its citations were not checked.",
  abstained_title: "Not found in your documents",
  abstained_weak: "No passage was close enough to the question, so Shiori did not guess.",
  abstained_model: "The model found no answer in the passages it read.",
  abstained_empty:
    "The model answered twice without saying anything (only a source number), so Shiori shows no answer.",
  error_title: "The answer could not be completed",
  busy_title: "Shiori is busy",
  busy_wait: "Other questions are being answered. You can try again in {s} s.",
  busy_now: "Other questions were being answered. Try again now.",
  unauthorized: "An API key is needed to ask questions.",
  network_error: "The server could not be reached. Check that Shiori is running.",
  timing: "first words after {ttft} s · {tokens} tokens",
  timing_retrieval: "search {ms} ms",
  copy: "Copy answer",
  copied: "Copied",
  unsupported_sentence: "No source supports this sentence",
  missing_terms: "Not backed by this source: {terms}",
  no_number: "The question asks for a number, and this answer gives none. Check the sources.",
  revised:
    "Revised: the sources did not back the first answer, so it was answered again from the source that matches the question best.",
  revised_first: "First answer:",
  sources_count: "{n} sources",
  sources_count_one: "1 source",
  announce_answer_done: "Answer complete.",
  announce_answer_stopped: "Answer stopped.",

  status_verified: "Verified",
  status_inferred: "Inferred",
  status_unsupported: "Not supported",
  status_pending: "Not checked yet",
  status_unchecked: "Not checked",
  status_nosource: "No source",
  help_verified: "The cited passage contains what this sentence says.",
  help_inferred: "This sentence cited nothing; this source contains what it says.",
  help_unsupported:
    "The cited passage does not clearly contain what this sentence says. Check before relying on it.",
  help_pending: "Citations are checked when the answer is complete.",
  help_unchecked: "The answer was stopped before its citations were checked.",
  help_nosource: "No source supports this sentence. Treat it with care.",
  support: "match {pct}%",
  chip_label: "Source {n}: {title}, {page}. {status}.",
  page: "p. {page}",
  page_with_label: "p. {page} (printed {label})",
  page_slide: "Slide {n}",
  page_sheet: "Sheet {name}",
  page_sheet_rows: "Sheet {name} (rows {first}–{last})",
  page_rows: "Rows {first}–{last}",
  page_section: "Section {n}",
  page_footnotes: "Footnotes",
  page_endnotes: "Endnotes",
  page_comments: "Comments",
  ocr_badge: "OCR",
  ocr_help: "Read from an image of the page by OCR: check the wording against the page.",
  open_pdf_at_page: "Open the PDF at page {page}",
  sources_title: "Sources",
  passage_title: "Passage",
  back_to_sources: "All sources",
  sources_empty:
    "The sources of an answer appear here as soon as Shiori has found them, before the answer is written.",
  sources_none: "No passage matched this question closely enough.",
  sources_for: "For “{q}”",
  page_loading: "Loading the page…",
  page_unavailable: "The page text could not be loaded: {error}",
  passage_only: "Showing the passage alone.",
  legend_evidence: "Evidence for the cited sentence",
  legend_closest: "Closest match to the cited sentence (it does not support it)",
  legend_passage: "Passage the model read",
  page_of: "Page {page} of {total}",
  prev_page: "Previous page",
  next_page: "Next page",
  source_n: "Source {n}",
  view_as: "Show the passage as",
  tab_page: "Page",
  tab_text: "Text",
  zoom_in: "Zoom in",
  zoom_out: "Zoom out",
  zoom_fit: "Fit width",
  page_image_region: "Page image (+ and − zoom)",
  page_image_loading: "Drawing the page…",
  page_image_alt: "{name}, page {page} as printed",
  page_image_unavailable: "No page image for this document: showing its text.",
  highlight_desc: "Highlighted on the page: {text}",
  highlight_unavailable:
    "This page has no character positions (ingested before they were kept), so nothing is highlighted. The Text tab shows the passage.",

  key_title: "API key required",
  key_body: "This Shiori server asks for an API key. It is kept in this browser only.",
  key_rejected: "That key was not accepted. Check it and try again.",
  key_label: "API key",
  api_key: "API key",
  forget_key: "Forget the stored key",
  key_forgotten: "The API key was removed from this browser.",
} as const;

export type MessageKey = keyof typeof en;

const ja: Record<MessageKey, string> = {
  brand_tagline: "文書にもとづいて答えます",
  skip_to_question: "質問欄へ移動",
  language: "言語",
  show_documents: "文書",
  show_sources: "出典",
  close: "閉じる",
  cancel: "キャンセル",
  retry: "再試行",
  save: "保存",
  delete: "削除",

  model_loading: "回答モデルを読み込み中…",
  model_lazy: "最初の質問で回答モデルを読み込みます",
  model_error: "回答モデルを読み込めませんでした",
  model_restarting: "回答モデルを再起動中…",
  model_unreachable: "回答サーバーに接続できません",
  model_ready: "準備完了",
  server_starting: "サーバーを起動しています…",
  server_unreachable: "サーバーに接続できません",

  collection: "コレクション",
  new_collection: "新しいコレクション",
  collection_name: "コレクション名",
  create: "作成",
  n_documents: "{n}件の文書",
  one_document: "1件の文書",
  collection_loading: "コレクションを読み込み中です。少し待ってからもう一度追加してください。",

  add_documents: "文書を追加",
  drop_here: "PDFやテキストファイルをここにドロップ",
  or: "または",
  choose_files: "ファイルを選択",
  formats: "PDF・TXT・Markdown・HTML（複数可）",
  drop_overlay: "ドロップして「{c}」に追加",
  uploads: "アップロード",
  clear_finished: "完了したものを消去",
  dismiss: "閉じる",
  stage_waiting: "アップロード待ち…",
  stage_uploading: "アップロード中 {pct}%",
  stage_queued: "読み取りの順番待ち",
  stage_claimed: "開始しています…",
  stage_extracting: "ページを読み取り中（{done} / {total}ページ）",
  stage_extracting_start: "ページを読み取り中…",
  stage_ocr: "文字認識（OCR）中（{done} / {total}ページ）",
  stage_chunking: "パッセージに分割中…",
  stage_embedding: "パッセージをベクトル化中（{done} / {total}）",
  stage_writing: "保存中…",
  stage_retrying: "エラーのため再試行します：{error}",
  stage_ready: "準備完了",
  ready_detail: "{pages}・{chunks}",
  stage_failed: "失敗",
  duplicate: "このコレクションに登録済みのため、追加しませんでした",
  upload_failed: "アップロードに失敗しました",

  documents: "文書",
  no_documents: "まだ文書がありません。上から追加すると、その内容について質問できます。",
  documents_loading: "文書を読み込み中…",
  status_queued: "待機中",
  status_processing: "処理中",
  status_ready: "準備完了",
  status_failed: "失敗",
  n_pages: "{n}ページ",
  one_page: "1ページ",
  n_passages: "{n}パッセージ",
  one_passage: "1パッセージ",
  open_original: "元のファイルを開く",
  view_text: "本文を表示",
  document_actions: "{name}",
  confirm_delete_title: "この文書を削除しますか？",
  confirm_delete_body: "「{name}」とそのパッセージを「{c}」から削除します。この操作は取り消せません。",
  deleted: "「{name}」を削除しました。",

  asking_in: "「{c}」に質問",
  new_chat: "新しい会話",
  question_label: "質問",
  placeholder: "文書について質問してください…",
  send: "送信",
  stop: "停止",
  composer_hint: "Enterで送信・Shift+Enterで改行",
  composer_hint_streaming: "Escまたは「停止」で回答を止めます",
  empty_title: "文書について何でも質問できます",
  empty_body:
    "回答には必ず出典番号が付きます。番号にカーソルを合わせると該当箇所を、クリックするとページ内でハイライトされた本文を確認できます。",
  empty_no_docs: "まずPDFやテキストファイルを追加してください。",
  you: "あなた",
  shiori: "Shiori",
  retrieving: "文書を検索しています…",
  generating: "{n}件のパッセージを読んでいます…",
  generating_one: "1件のパッセージを読んでいます…",
  stopped: "停止しました。上の回答は途中までで、出典の確認も行われていません。",
  abstained_title: "文書に記載が見つかりません",
  abstained_weak: "質問に十分近い箇所が見つからなかったため、推測では答えていません。",
  abstained_model: "読み込んだ箇所の中に答えが見つかりませんでした。",
  abstained_empty:
    "モデルが二度とも出典番号だけを返し、中身のある答えがなかったため、回答を表示していません。",
  error_title: "回答を完了できませんでした",
  busy_title: "混み合っています",
  busy_wait: "ほかの質問に回答中です。{s}秒後に再試行できます。",
  busy_now: "ほかの質問に回答中でした。もう一度お試しください。",
  unauthorized: "質問するにはAPIキーが必要です。",
  network_error: "サーバーに接続できません。Shioriが起動しているか確認してください。",
  timing: "応答開始まで{ttft}秒・{tokens}トークン",
  timing_retrieval: "検索 {ms} ms",
  copy: "回答をコピー",
  copied: "コピーしました",
  unsupported_sentence: "この文を裏付ける出典がありません",
  missing_terms: "この出典が裏付けない語: {terms}",
  no_number: "質問は数を尋ねていますが、この回答には数がありません。出典を確認してください。",
  revised: "修正済み: 最初の回答は出典で裏付けられなかったため、質問に最もよく合う資料から答え直しました。",
  revised_first: "最初の回答:",
  sources_count: "出典{n}件",
  sources_count_one: "出典1件",
  announce_answer_done: "回答が完了しました。",
  announce_answer_stopped: "回答を停止しました。",

  status_verified: "確認済み",
  status_inferred: "推定",
  status_unsupported: "裏付けなし",
  status_pending: "未確認",
  status_unchecked: "未確認",
  status_nosource: "出典なし",
  help_verified: "引用された箇所に、この文の内容が書かれています。",
  help_inferred: "この文には出典番号がありませんでしたが、この出典に内容が書かれています。",
  help_unsupported:
    "引用された箇所に、この文の内容がはっきりとは見当たりません。利用する前に確認してください。",
  help_pending: "出典は回答の完了後に確認されます。",
  help_unchecked: "出典を確認する前に回答が停止されました。",
  help_nosource: "この文を裏付ける出典がありません。注意してください。",
  support: "一致度 {pct}%",
  chip_label: "出典{n}：{title}、{page}。{status}。",
  page: "{page}ページ",
  page_with_label: "{page}ページ（表記 {label}）",
  page_slide: "スライド {n}",
  page_sheet: "シート「{name}」",
  page_sheet_rows: "シート「{name}」（{first}～{last}行）",
  page_rows: "{first}～{last}行",
  page_section: "セクション {n}",
  page_footnotes: "脚注",
  page_endnotes: "文末脚注",
  page_comments: "コメント",
  ocr_badge: "OCR",
  ocr_help: "ページの画像から文字認識（OCR）で読み取った文章です。原本と照らして確認してください。",
  open_pdf_at_page: "PDFを{page}ページで開く",
  sources_title: "出典",
  passage_title: "該当箇所",
  back_to_sources: "出典一覧",
  sources_empty: "回答の出典は、見つかり次第（回答が書かれる前に）ここに表示されます。",
  sources_none: "この質問に十分合う箇所はありませんでした。",
  sources_for: "質問：「{q}」",
  page_loading: "ページを読み込み中…",
  page_unavailable: "ページ本文を読み込めませんでした：{error}",
  passage_only: "該当箇所のみを表示しています。",
  legend_evidence: "引用された文の根拠",
  legend_closest: "引用された文に最も近い箇所（裏付けにはなっていません）",
  legend_passage: "モデルが読んだ箇所",
  page_of: "{page} / {total}ページ",
  prev_page: "前のページ",
  next_page: "次のページ",
  source_n: "出典{n}",
  view_as: "表示方法",
  tab_page: "ページ",
  tab_text: "テキスト",
  zoom_in: "拡大",
  zoom_out: "縮小",
  zoom_fit: "幅に合わせる",
  page_image_region: "ページ画像（＋ と − で拡大・縮小）",
  page_image_loading: "ページを描画しています…",
  page_image_alt: "{name} の {page} ページ（印刷どおりの画像）",
  page_image_unavailable: "この文書にはページ画像がありません。テキストを表示しています。",
  highlight_desc: "ページ上の強調箇所：{text}",
  highlight_unavailable:
    "このページには文字の位置情報がないため（位置情報の保存前に取り込まれた文書）、強調表示できません。「テキスト」タブで該当箇所を確認できます。",

  key_title: "APIキーが必要です",
  key_body: "このShioriサーバーではAPIキーが必要です。キーはこのブラウザにのみ保存されます。",
  key_rejected: "このキーは受け付けられませんでした。確認して、もう一度入力してください。",
  key_label: "APIキー",
  api_key: "APIキー",
  forget_key: "保存したキーを削除",
  key_forgotten: "APIキーをこのブラウザから削除しました。",
};

export type Lang = "en" | "ja";
export const LANGS: { code: Lang; name: string }[] = [
  { code: "ja", name: "日本語" },
  { code: "en", name: "English" },
];

const DICTS: Record<Lang, Record<MessageKey, string>> = { en, ja };
const LANG_STORAGE = "shiori.lang";

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const dict = DICTS[lang];
  return (key, params) => {
    const text = dict[key] ?? en[key];
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  };
}

export function detectLang(languages: readonly string[] = navigator.languages ?? [navigator.language]): Lang {
  for (const l of languages) {
    const base = l.toLowerCase().split("-")[0];
    if (base === "ja") return "ja";
    if (base === "en") return "en";
  }
  return "en";
}

export function initialLang(): Lang {
  try {
    const stored = localStorage.getItem(LANG_STORAGE);
    if (stored === "en" || stored === "ja") return stored;
  } catch {
    /* storage disabled */
  }
  return detectLang();
}

export function storeLang(lang: Lang): void {
  try {
    localStorage.setItem(LANG_STORAGE, lang);
  } catch {
    /* storage disabled */
  }
}

export interface I18n {
  lang: Lang;
  t: Translate;
}

export const I18nContext = createContext<I18n>({ lang: "en", t: translator("en") });

export function useI18n(): I18n {
  return useContext(I18nContext);
}
