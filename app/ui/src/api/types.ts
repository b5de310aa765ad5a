// Shapes of the v1 API (see app/api/schemas.py and the `/ask` event stream in app/services/answering.py).

export type DocStatus = "queued" | "processing" | "ready" | "failed";

export interface Collection {
  id: number;
  name: string;
  documents: number;
  created_at: string;
}

export interface Progress {
  stage: string | null;
  attempts: number;
  pages_done: number;
  pages_total: number | null;
  chunks_done: number;
  chunks_total: number | null;
  error: string | null;
}

export interface DocumentInfo {
  id: number;
  collection: string;
  filename: string;
  title: string | null;
  mime: string | null;
  size_bytes: number;
  sha256: string;
  status: DocStatus;
  pages: number | null;
  pages_indexed: number | null;
  chunk_count: number;
  error: string | null;
  created_at: string;
  updated_at: string;
  progress: Progress | null;
}

export interface UploadItem {
  document_id: number;
  job_id: number | null;
  filename: string;
  status: DocStatus;
  duplicate: boolean;
}

export interface UploadResult {
  collection: string;
  documents: UploadItem[];
}

export interface PageText {
  document_id: number;
  page: number;
  page_label: string | null;
  text: string;
}

/** A numbered passage the model was shown (`sources` event). Offsets point into the page's text. */
export interface Source {
  number: number;
  chunk_id: number;
  document_id: number;
  title: string;
  filename: string;
  page: number;
  page_label: string | null;
  char_start: number;
  char_end: number;
  text: string;
  shown: string;
  spans: number[][];
  score: number;
}

export type CitationStatus = "verified" | "unsupported" | "inferred";

/** A checked citation (`citations` event): which sentence cites which source, and the evidence span. */
export interface Citation {
  number: number;
  sentence_index: number;
  status: CitationStatus;
  support: number;
  chunk_id: number;
  document_id: number;
  title: string;
  page: number;
  page_label: string | null;
  char_start: number;
  char_end: number;
}

export interface AnswerSentence {
  start: number;
  end: number;
  text: string;
  numbers: number[];
  supported: boolean;
}

export interface SourcesEvent {
  sources: Source[];
  dropped: number[];
  query: string;
}

export interface CitationsEvent {
  answer: string;
  citations: Citation[];
  sentences: AnswerSentence[];
  invalid_numbers: number[];
}

export interface DoneEvent {
  abstained: boolean;
  abstain_reason: string | null;
  cancelled?: boolean;
  retrieval_ms: number;
  ttft_ms: number | null;
  tokens: number;
  tokens_per_s: number | null;
  generation_ms?: number;
  dropped: number[];
}

export interface ErrorBody {
  detail: string;
  code: string;
}

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

export interface Readiness {
  status: "ready" | "starting";
  generator: "loaded" | "loading" | "lazy" | "restarting" | "unreachable" | "error" | "disabled";
  generator_error: string | null;
  generator_restarts: number;
  indexed_chunks: number;
}
