// Shapes of the v1 API, generated from the server's OpenAPI schema (src/api/schema.gen.ts, from
// app/services/answer_events.py and app/api/schemas.py): one definition, named for the UI here.
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

export type DocStatus = Schemas["DocumentOut"]["status"];
export type Collection = Schemas["CollectionOut"];
export type Progress = Schemas["ProgressOut"];
export type DocumentInfo = Schemas["DocumentOut"];
export type UploadItem = Schemas["UploadItemOut"];
export type UploadResult = Schemas["UploadOut"];
export type PageText = Schemas["PageOut"];
/** Where a character span of a page is printed: rectangles in page units (origin top-left, y down). */
export type PageBoxes = Schemas["PageBoxesOut"];
export type BoxRect = Schemas["BoxRectOut"];

/** A numbered passage the model was shown (`sources` event). Offsets point into the page's text. */
export type Source = Schemas["SourceOut"];
export type CitationStatus = Schemas["CitationOut"]["status"];
/** A checked citation (`citations` event): which sentence cites which source, and the evidence span. */
export type Citation = Schemas["CitationOut"];
export type AnswerSentence = Schemas["AnswerSentenceOut"];

export type SourcesEvent = Schemas["SourcesEvent"];
export type TokenEvent = Schemas["TokenEvent"];
export type CitationsEvent = Schemas["CitationsEvent"];
export type DoneEvent = Schemas["DoneEvent"];
export type ErrorBody = Schemas["ErrorOut"];
export type ErrorEvent = Schemas["ErrorEvent"];

export type ChatMessage = Schemas["ChatMessageIn"];
export type Readiness = Schemas["ReadyOut"];
