// Generated from openapi.json by scripts/api-types.mjs (`make api-types`). Do not edit.

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Healthz
         * @description The process is up (liveness).
         */
        get: operations["healthz_healthz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readyz
         * @description Database reachable, models loaded, index built (readiness). 503 until then.
         */
        get: operations["readyz_readyz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Metrics
         * @description Request latency per route, retrieval latency, time to first token, tokens/s, generation queue
         *     depth, ingestion speed, job failures by reason, index size.
         */
        get: operations["metrics_metrics_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/collections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Collections */
        get: operations["list_collections_api_v1_collections_get"];
        put?: never;
        /** Create Collection */
        post: operations["create_collection_api_v1_collections_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/collections/{collection}/documents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Documents */
        get: operations["list_documents_api_v1_collections__collection__documents_get"];
        put?: never;
        /**
         * Upload Documents
         * @description Upload one or more files (form field `files`). Each is queued for ingestion; a file already in
         *     the collection (same content) is reported as a duplicate and not ingested again.
         */
        post: operations["upload_documents_api_v1_collections__collection__documents_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/documents/{document_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Document */
        get: operations["get_document_api_v1_documents__document_id__get"];
        put?: never;
        post?: never;
        /**
         * Delete Document
         * @description Delete the document, its chunks and its file. It disappears from search at once.
         */
        delete: operations["delete_document_api_v1_documents__document_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/documents/{document_id}/pages/{page}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Page
         * @description A page's normalised text, the text that passage and citation `char_start`/`char_end` point into.
         */
        get: operations["get_page_api_v1_documents__document_id__pages__page__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/documents/{document_id}/pages/{page}/boxes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Page Boxes
         * @description Where characters `start` to `end` of the page's normalised text (the offsets of passages and
         *     citations) are printed on the page: rectangles to highlight on the page image. 404 with code
         *     `boxes_unavailable` for pages without character boxes (text and Office files, documents ingested
         *     before boxes were kept).
         */
        get: operations["get_page_boxes_api_v1_documents__document_id__pages__page__boxes_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/documents/{document_id}/file": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Document File
         * @description The original file as uploaded (PDFs open inline; append #page=N to jump to a page).
         */
        get: operations["get_document_file_api_v1_documents__document_id__file_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/documents/{document_id}/pages/{page}/image": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Page Image
         * @description A page of a PDF or an uploaded image, drawn `width` pixels wide (the page's shape kept). The
         *     first request renders it (a second or so), later ones come from the cache. Word, PowerPoint,
         *     Excel and text documents have no page images (404 `no_page_image`).
         */
        get: operations["get_page_image_api_v1_documents__document_id__pages__page__image_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Search
         * @description Passages that best match the query, with document, page, character offsets, and which retriever
         *     found each one with what score. Hybrid search (the default) fuses dense and BM25 scores.
         */
        post: operations["search_api_v1_search_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/ask": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Ask
         * @description Answer a question from the collection's documents, with numbered citations. With `stream: true` the response is `text/event-stream` with events `sources` (numbered passages, sent when retrieval is done), `token` (`{text}` deltas), `citations` (checked citations with document, page and character span), `done` (timings: retrieval_ms, ttft_ms, tokens, tokens_per_s, dropped passages) and `error` (`{detail, code}`; `timeout`, or `shutting_down` when the server is restarting: ask again).
         */
        post: operations["ask_api_v1_ask_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Models */
        get: operations["list_models_v1_models_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/chat/completions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Chat Completions */
        post: operations["chat_completions_v1_chat_completions_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Who Am I
         * @description The calling key's name, role and collections; `auth_required` says whether the server wants keys
         *     (a UI can call this first and ask for a key on 401).
         */
        get: operations["who_am_i_api_v1_auth_me_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Keys */
        get: operations["list_keys_api_v1_keys_get"];
        put?: never;
        /**
         * Create Key
         * @description Create a key. The response holds the key itself, once; only its hash is stored.
         */
        post: operations["create_key_api_v1_keys_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/keys/{key_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke Key
         * @description Revoke a key: it stops working at once on this server (other replicas: within `auth.cache_s`).
         */
        delete: operations["revoke_key_api_v1_keys__key_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * AnswerOut
         * @description The whole answer at once (JSON mode), built from the events.
         */
        AnswerOut: {
            /** Answer */
            answer: string;
            /** Abstained */
            abstained: boolean;
            /** Sources */
            sources: components["schemas"]["SourceOut"][];
            /** Citations */
            citations: components["schemas"]["CitationOut"][];
            /** Sentences */
            sentences: components["schemas"]["AnswerSentenceOut"][];
            /**
             * Revised From
             * @description The `citations` event's `revised_from`
             */
            revised_from: string | null;
            /**
             * Dropped
             * @description Chunk ids that did not fit the context
             */
            dropped: number[];
            /** @description The `done` event */
            timings: components["schemas"]["DoneEvent"] | null;
            error: components["schemas"]["ErrorEvent"] | null;
        };
        /** AnswerSentenceOut */
        AnswerSentenceOut: {
            /** Start */
            start: number;
            /** End */
            end: number;
            /** Text */
            text: string;
            /** Numbers */
            numbers: number[];
            /** Supported */
            supported: boolean;
        };
        /** AskIn */
        AskIn: {
            /**
             * Question
             * @example Transformerを提案した論文は？
             */
            question: string;
            /**
             * Collection
             * @default default
             */
            collection: string;
            /** History */
            history?: components["schemas"]["ChatMessageIn"][];
            /**
             * K
             * @description Passages to retrieve (default from settings)
             */
            k?: number | null;
            /**
             * Stream
             * @default false
             */
            stream: boolean;
        };
        /** BoxRectOut */
        BoxRectOut: {
            /**
             * X0
             * @description Left edge
             */
            x0: number;
            /**
             * Y0
             * @description Top edge
             */
            y0: number;
            /**
             * X1
             * @description Right edge
             */
            x1: number;
            /**
             * Y1
             * @description Bottom edge
             */
            y1: number;
            /**
             * Vertical
             * @description The rectangle runs down a column of vertical writing
             */
            vertical: boolean;
        };
        /** ChatCompletionIn */
        ChatCompletionIn: {
            /**
             * Model
             * @default shiori
             */
            model: string;
            /** Messages */
            messages: components["schemas"]["ChatMessage"][];
            /**
             * Stream
             * @default false
             */
            stream: boolean;
            /**
             * Collection
             * @description Shiori extension: the collection to answer from
             * @default default
             */
            collection: string;
            /**
             * K
             * @description Shiori extension: passages to retrieve
             */
            k?: number | null;
        } & {
            [key: string]: unknown;
        };
        /** ChatMessage */
        ChatMessage: {
            /**
             * Role
             * @enum {string}
             */
            role: "system" | "user" | "assistant" | "tool" | "developer";
            /** Content */
            content?: string | components["schemas"]["ContentPart"][] | null;
        };
        /** ChatMessageIn */
        ChatMessageIn: {
            /**
             * Role
             * @enum {string}
             */
            role: "user" | "assistant";
            /** Content */
            content: string;
        };
        /** CitationOut */
        CitationOut: {
            /** Number */
            number: number;
            /** Sentence Index */
            sentence_index: number;
            /**
             * Status
             * @enum {string}
             */
            status: "verified" | "unsupported" | "inferred";
            /** Support */
            support: number;
            /** Chunk Id */
            chunk_id: number;
            /** Document Id */
            document_id: number;
            /** Title */
            title: string;
            /** Page */
            page: number;
            /** Page Label */
            page_label: string | null;
            /**
             * Char Start
             * @description Evidence span in the page's text
             */
            char_start: number;
            /** Char End */
            char_end: number;
            /**
             * Ocr
             * @description The page's text was read by OCR (a scan or an image)
             * @default false
             */
            ocr: boolean;
            /**
             * Missing
             * @description Numbers and names of the sentence that the cited evidence does not contain (the citation is then unsupported)
             * @default []
             */
            missing: string[];
        };
        /** CollectionIn */
        CollectionIn: {
            /**
             * Name
             * @example default
             */
            name: string;
        };
        /** CollectionOut */
        CollectionOut: {
            /** Id */
            id: number;
            /** Name */
            name: string;
            /** Documents */
            documents: number;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
        };
        /**
         * ContentPart
         * @description One part of a message's content. Only text parts are read; others (images, ...) are ignored.
         */
        ContentPart: {
            /** Type */
            type: string;
            /** Text */
            text?: string | null;
        } & {
            [key: string]: unknown;
        };
        /** CreatedKeyOut */
        CreatedKeyOut: {
            /** Id */
            id: number;
            /** Name */
            name: string;
            /**
             * Prefix
             * @description The key's first characters, to tell keys apart
             */
            prefix: string;
            /**
             * Role
             * @enum {string}
             */
            role: "reader" | "writer" | "admin";
            /** Collections */
            collections: string[] | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Revoked At */
            revoked_at: string | null;
            /**
             * Key
             * @description The key itself. Shown only this once; store it now
             */
            key: string;
        };
        /** DocumentOut */
        DocumentOut: {
            /** Id */
            id: number;
            /** Collection */
            collection: string;
            /** Filename */
            filename: string;
            /** Title */
            title: string | null;
            /** Mime */
            mime: string | null;
            /** Size Bytes */
            size_bytes: number;
            /** Sha256 */
            sha256: string;
            /**
             * Status
             * @enum {string}
             */
            status: "queued" | "processing" | "ready" | "failed";
            /**
             * Pages
             * @description Physical pages in the file
             */
            pages: number | null;
            /**
             * Pages Indexed
             * @description Pages with readable text that were indexed
             */
            pages_indexed: number | null;
            /** Chunk Count */
            chunk_count: number;
            /**
             * Error
             * @description Why the document failed, in words a person understands
             */
            error: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            progress: components["schemas"]["ProgressOut"] | null;
        };
        /**
         * DocumentStatus
         * @enum {string}
         */
        DocumentStatus: "queued" | "processing" | "ready" | "failed";
        /** DoneEvent */
        DoneEvent: {
            /** Abstained */
            abstained: boolean;
            /**
             * Abstain Reason
             * @description weak_evidence: search found nothing close enough; model_declined: the model said the sources don't say; empty_answer: the model twice said nothing but citation markers
             */
            abstain_reason: ("weak_evidence" | "model_declined" | "empty_answer") | null;
            /**
             * Best Score
             * @description The best passage's dense similarity to the question (what abstain_below compares)
             */
            best_score: number | null;
            /**
             * Cancelled
             * @default false
             */
            cancelled: boolean;
            /** Retrieval Ms */
            retrieval_ms: number;
            /** Ttft Ms */
            ttft_ms: number | null;
            /**
             * Tokens
             * @default 0
             */
            tokens: number;
            /** Tokens Per S */
            tokens_per_s: number | null;
            /** Generation Ms */
            generation_ms: number | null;
            /**
             * Prompt Tokens
             * @description Tokens of the prompt the model read
             */
            prompt_tokens: number | null;
            /** Dropped */
            dropped: number[];
            /**
             * Refusal Logprob
             * @description Log-probability that the model opened with the refusal, read before it answered
             */
            refusal_logprob: number | null;
            /**
             * Second Look
             * @description Why a second search round ran before the answer (none: it did not)
             */
            second_look: ("compound" | "weak_evidence") | null;
            /**
             * Second Look Ms
             * @description What that round took: the model's queries and their searches
             */
            second_look_ms: number | null;
            /**
             * Rewrite Ms
             * @description What the model's rewrite of a follow-up into a standalone question took
             */
            rewrite_ms: number | null;
            /**
             * Recheck Ms
             * @description What the second attempt took, when the check flagged the first answer (none: it did not run)
             */
            recheck_ms: number | null;
            /**
             * Revised
             * @description The second attempt replaced the streamed answer
             * @default false
             */
            revised: boolean;
        };
        /**
         * ErrorEvent
         * @description The answer ended early: `timeout`, `generator_crashed`, `generator_unavailable`,
         *     `shutting_down` (the server is restarting: ask again), `internal_error`.
         */
        ErrorEvent: {
            /** Detail */
            detail: string;
            /** Code */
            code: string;
        };
        /** ErrorOut */
        ErrorOut: {
            /** Detail */
            detail: string;
            /** Code */
            code: string;
        };
        /** HealthOut */
        HealthOut: {
            /**
             * Status
             * @constant
             */
            status: "ok";
        };
        /** KeyIn */
        KeyIn: {
            /**
             * Role
             * @enum {string}
             */
            role: "reader" | "writer" | "admin";
            /** Name */
            name?: string | null;
            /**
             * Collections
             * @description Collections the key may use (default: all)
             */
            collections?: string[] | null;
        };
        /** KeyOut */
        KeyOut: {
            /** Id */
            id: number;
            /** Name */
            name: string;
            /**
             * Prefix
             * @description The key's first characters, to tell keys apart
             */
            prefix: string;
            /**
             * Role
             * @enum {string}
             */
            role: "reader" | "writer" | "admin";
            /** Collections */
            collections: string[] | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Revoked At */
            revoked_at: string | null;
        };
        /** PageBoxesOut */
        PageBoxesOut: {
            /** Document Id */
            document_id: number;
            /**
             * Page
             * @description 1-based physical page
             */
            page: number;
            /**
             * Start
             * @description Offset of the span in the page's normalised text
             */
            start: number;
            /** End */
            end: number;
            /**
             * Width
             * @description Page width in page units: PDF points (1/72 inch) of the page as displayed (its crop box, turned by its rotation); for an image file, 1/72 inch at its declared resolution. Scale rectangles by the width of the image they are drawn on over this
             */
            width: number;
            /**
             * Height
             * @description Page height in page units
             */
            height: number;
            /**
             * Rects
             * @description The span's character boxes merged per line (per column in vertical writing), in reading order; origin at the page's top-left corner, y down
             */
            rects: components["schemas"]["BoxRectOut"][];
            /**
             * Missing
             * @description Characters of the span (not counting whitespace) without a box; they are not drawn
             */
            missing: number;
        };
        /** PageOut */
        PageOut: {
            /** Document Id */
            document_id: number;
            /**
             * Page
             * @description 1-based physical page
             */
            page: number;
            /**
             * Page Label
             * @description A PDF's printed page label, or an Office page's name ("Slide 3", "Sheet 売上")
             */
            page_label: string | null;
            /**
             * Text
             * @description The page's normalised text; passage and citation offsets point into it
             */
            text: string;
            /**
             * Ocr
             * @description The text was read by OCR (a scan or an image)
             * @default false
             */
            ocr: boolean;
        };
        /** PassageOut */
        PassageOut: {
            /** Chunk Id */
            chunk_id: number;
            /** Document Id */
            document_id: number;
            /** Title */
            title: string;
            /** Filename */
            filename: string;
            /**
             * Page
             * @description 1-based physical page where the passage starts
             */
            page: number;
            /** Page End */
            page_end: number;
            /**
             * Page Label
             * @description A PDF's printed page label, or an Office page's name ("Slide 3", "Sheet 売上")
             */
            page_label: string | null;
            /**
             * Char Start
             * @description Offset of the passage in the page's normalised text
             */
            char_start: number;
            /** Char End */
            char_end: number;
            /** Text */
            text: string;
            /**
             * Score
             * @description What the list is ranked by (fused, dense, BM25 or reranker score)
             */
            score: number;
            /**
             * Retriever
             * @description Which retriever's candidates held the passage
             * @enum {string}
             */
            retriever: "dense" | "keyword" | "dense+keyword";
            /**
             * Dense Score
             * @description Cosine similarity to the query (dense and hybrid modes)
             */
            dense_score: number | null;
            /**
             * Keyword Score
             * @description BM25 score (keyword and hybrid modes)
             */
            keyword_score: number | null;
            /**
             * Rerank Score
             * @description Cross-encoder score, when reranked
             */
            rerank_score: number | null;
            /**
             * Ocr
             * @description The page's text was read by OCR (a scan or an image)
             * @default false
             */
            ocr: boolean;
        };
        /** ProgressOut */
        ProgressOut: {
            /** Stage */
            stage: string | null;
            /** Attempts */
            attempts: number;
            /** Pages Done */
            pages_done: number;
            /** Pages Total */
            pages_total: number | null;
            /** Chunks Done */
            chunks_done: number;
            /** Chunks Total */
            chunks_total: number | null;
            /**
             * Error
             * @description Last error of a retried attempt, if any
             */
            error: string | null;
        };
        /** ReadyOut */
        ReadyOut: {
            /**
             * Status
             * @enum {string}
             */
            status: "ready" | "starting";
            /** Database */
            database: boolean;
            /** Embedding Model */
            embedding_model: string | null;
            /** Indexed Chunks */
            indexed_chunks: number;
            /**
             * Worker
             * @enum {string}
             */
            worker: "embedded" | "external";
            /**
             * Generator
             * @description Answering model: loaded, loading in the background, loaded on first question, its process restarting after a crash, external server unreachable, failed
             * @enum {string}
             */
            generator: "loaded" | "loading" | "lazy" | "restarting" | "unreachable" | "error" | "disabled";
            /** Generator Error */
            generator_error?: string | null;
            /**
             * Generator Restarts
             * @description Times the generator process was restarted
             * @default 0
             */
            generator_restarts: number;
        };
        /** SearchIn */
        SearchIn: {
            /**
             * Query
             * @example Transformerを提案した論文は？
             */
            query: string;
            /**
             * Collection
             * @default default
             */
            collection: string;
            /**
             * K
             * @default 5
             */
            k: number;
            /**
             * Mode
             * @description hybrid (dense + BM25, fused), dense or keyword; default from the server settings
             */
            mode?: ("hybrid" | "dense" | "keyword") | null;
            /**
             * Document Ids
             * @description Only search these documents of the collection
             */
            document_ids?: number[] | null;
            /**
             * Pages
             * @description Only passages on (or running through) these 1-based pages
             */
            pages?: number[] | null;
            /**
             * Rerank
             * @description Rerank with the configured cross-encoder (default: on when one is configured)
             */
            rerank?: boolean | null;
        };
        /** SearchOut */
        SearchOut: {
            /** Query */
            query: string;
            /** Collection */
            collection: string;
            /**
             * Mode
             * @enum {string}
             */
            mode: "hybrid" | "dense" | "keyword";
            /** Reranked */
            reranked: boolean;
            /** Passages */
            passages: components["schemas"]["PassageOut"][];
            /** Timings Ms */
            timings_ms: {
                [key: string]: number;
            };
        };
        /** SourceOut */
        SourceOut: {
            /** Number */
            number: number;
            /** Chunk Id */
            chunk_id: number;
            /** Document Id */
            document_id: number;
            /** Title */
            title: string;
            /** Filename */
            filename: string;
            /** Page */
            page: number;
            /** Page Label */
            page_label: string | null;
            /** Char Start */
            char_start: number;
            /** Char End */
            char_end: number;
            /**
             * Text
             * @description The passage
             */
            text: string;
            /**
             * Shown
             * @description What the model was shown (selected sentences of the passage)
             */
            shown: string;
            /**
             * Spans
             * @description Page-text offsets of the shown pieces
             */
            spans: number[][];
            /** Score */
            score: number;
            /**
             * Ocr
             * @description The page's text was read by OCR (a scan or an image)
             * @default false
             */
            ocr: boolean;
        };
        /** UploadItemOut */
        UploadItemOut: {
            /** Document Id */
            document_id: number;
            /**
             * Job Id
             * @description None when the file was already in the collection
             */
            job_id: number | null;
            /** Filename */
            filename: string;
            /**
             * Status
             * @enum {string}
             */
            status: "queued" | "processing" | "ready" | "failed";
            /** Duplicate */
            duplicate: boolean;
        };
        /** UploadOut */
        UploadOut: {
            /** Collection */
            collection: string;
            /** Documents */
            documents: components["schemas"]["UploadItemOut"][];
        };
        /** WhoAmIOut */
        WhoAmIOut: {
            /** Auth Required */
            auth_required: boolean;
            /** Name */
            name: string;
            /**
             * Role
             * @enum {string}
             */
            role: "reader" | "writer" | "admin";
            /** Collections */
            collections: string[] | null;
        };
        /**
         * CitationsEvent
         * @description After the last token: the answer as checked, and each citation resolved to a page span.
         */
        CitationsEvent: {
            /** Answer */
            answer: string;
            /** Citations */
            citations: components["schemas"]["CitationOut"][];
            /** Sentences */
            sentences: components["schemas"]["AnswerSentenceOut"][];
            /**
             * Invalid Numbers
             * @description [n] markers that name no source
             */
            invalid_numbers: number[];
            /**
             * Answers Question
             * @description False when the question asks for a number (a count, a year) and the answer gives none
             * @default true
             */
            answers_question: boolean;
            /**
             * Revised From
             * @description The streamed answer, when the check flagged it and a second attempt from the one source that holds most of the question's words passed: `answer` replaces it
             * @default null
             */
            revised_from: string | null;
        };
        /**
         * SourcesEvent
         * @description Sent as soon as retrieval is done, before the first token.
         */
        SourcesEvent: {
            /** Sources */
            sources: components["schemas"]["SourceOut"][];
            /**
             * Dropped
             * @description Chunk ids that did not fit the context
             */
            dropped: number[];
            /**
             * Query
             * @description What was searched (a follow-up joined with the previous question)
             */
            query: string;
            /**
             * More Queries
             * @description What was searched besides: a follow-up on its own (fused with `query`), and in a second round the model's own queries
             */
            more_queries: string[];
        };
        /** TokenEvent */
        TokenEvent: {
            /**
             * Text
             * @description The next piece of the answer
             */
            text: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    healthz_healthz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthOut"];
                };
            };
        };
    };
    readyz_readyz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadyOut"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadyOut"];
                };
            };
        };
    };
    metrics_metrics_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Too Many Requests */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_collections_api_v1_collections_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CollectionOut"][];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    create_collection_api_v1_collections_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CollectionIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CollectionOut"];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Unprocessable Entity */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_documents_api_v1_collections__collection__documents_get: {
        parameters: {
            query?: {
                status?: components["schemas"]["DocumentStatus"] | null;
                limit?: number;
                offset?: number;
            };
            header?: never;
            path: {
                collection: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DocumentOut"][];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    upload_documents_api_v1_collections__collection__documents_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                collection: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    files: string[];
                };
            };
        };
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadOut"];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Request Entity Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Unprocessable Entity */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    get_document_api_v1_documents__document_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                document_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DocumentOut"];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    delete_document_api_v1_documents__document_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                document_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    get_page_api_v1_documents__document_id__pages__page__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                document_id: number;
                page: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PageOut"];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    get_page_boxes_api_v1_documents__document_id__pages__page__boxes_get: {
        parameters: {
            query: {
                /** @description First character of the span */
                start: number;
                /** @description One past the span's last character */
                end: number;
            };
            header?: never;
            path: {
                document_id: number;
                page: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PageBoxesOut"];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    get_document_file_api_v1_documents__document_id__file_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                document_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": unknown;
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    get_page_image_api_v1_documents__document_id__pages__page__image_get: {
        parameters: {
            query?: {
                /** @description pixels; rounded up to 100 */
                width?: number;
                format?: "png" | "webp";
            };
            header?: never;
            path: {
                document_id: number;
                page: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/png": unknown;
                    "image/webp": unknown;
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Unprocessable Entity */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    search_api_v1_search_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SearchIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchOut"];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Unprocessable Entity */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    ask_api_v1_ask_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AskIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AnswerOut"];
                    "text/event-stream": components["schemas"]["SourcesEvent"] | components["schemas"]["TokenEvent"] | components["schemas"]["CitationsEvent"] | components["schemas"]["DoneEvent"] | components["schemas"]["ErrorEvent"];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Unprocessable Entity */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Too Many Requests */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_models_v1_models_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    chat_completions_v1_chat_completions_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChatCompletionIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "text/event-stream": unknown;
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    who_am_i_api_v1_auth_me_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WhoAmIOut"];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_keys_api_v1_keys_get: {
        parameters: {
            query?: {
                include_revoked?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyOut"][];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    create_key_api_v1_keys_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["KeyIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedKeyOut"];
                };
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Unprocessable Entity */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    revoke_key_api_v1_keys__key_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No API key, or an unknown or revoked one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key's role does not allow this, or a cross-site request */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body is too large (limits.max_body_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Invalid request; `detail` says what is wrong */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limit: see the Retry-After header */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
}
