"""One settings object for the whole service, read from the environment (prefix ``SHIORI_``).

Nested sections use a double underscore: ``SHIORI_DB__URL``, ``SHIORI_EMBEDDING__BACKEND``.
Build it with ``Settings()`` in an entrypoint (app factory, worker, CLI); never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PathsSettings(BaseModel):
    data_dir: Path = Path("./data")

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def page_cache_dir(self) -> Path:
        return self.data_dir / "cache" / "pages"


class DatabaseSettings(BaseModel):
    # None means "SQLite file inside data_dir"; see Settings.database_url.
    url: str | None = None
    echo: bool = False
    sqlite_busy_timeout_ms: int = 30_000
    # Every process upgrades the schema on start. With many processes (docker-compose), run
    # `shiori migrate` once first and set this false so they never race each other.
    migrate_on_start: bool = True


class EmbeddingSettings(BaseModel):
    backend: Literal["sbert", "fake"] = "sbert"
    # None means the bundled multilingual-e5-small, converted by `shiori models prepare`.
    model_path: Path | None = None
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    batch_size: int = Field(32, ge=1, le=1024)
    device: str = "cpu"
    threads: int | None = None  # torch intra-op threads; None = number of cores
    fake_dim: int = 64
    fake_delay_s: float = Field(0.0, ge=0, description="fake backend only: seconds per text (fault tests)")


class ChunkingSettings(BaseModel):
    # Sized in the embedding model's own tokens (e5-small reads at most 512).
    max_tokens: int = Field(256, ge=16, le=512)
    overlap_sentences: int = Field(1, ge=0, le=5)


class OpenAIGeneratorSettings(BaseModel):
    """An external OpenAI-compatible chat server (llama.cpp server, vLLM, Ollama, TGI)."""

    base_url: str = "http://127.0.0.1:8080/v1"  # up to and including /v1
    model: str = ""  # the server's model name ("" = the first one /models lists)
    api_key: str | None = None
    # Counting tokens for the context budget: the server's own tokenize endpoint where it has one
    # (llama.cpp, vLLM); else this local tokenizer (a tokenizer.json file or a folder holding one).
    tokenizer_path: Path | None = None
    connect_timeout_s: float = Field(5.0, gt=0)
    read_timeout_s: float = Field(120.0, gt=0, description="longest wait for the next streamed token")


class GeneratorSettings(BaseModel):
    backend: Literal["llama_cpp", "transformers", "openai", "fake"] = "llama_cpp"
    # Run the model in its own supervised process (a crash there ends one answer, never the API).
    # None = yes for llama_cpp and transformers, no for fake; the openai backend is only a client.
    isolate: bool | None = None
    # llama.cpp "extra buffer types" (weight repacking for CPU-specific kernels). The start-up check
    # falls back to off by itself if the kernels crash; set false to skip straight to that.
    extra_bufts: bool = True
    # Prompt-lookup speculative decoding: tokens drafted from the prompt per step (0 = off); greedy
    # output stays the same. See README, "Generator build and speed".
    prompt_lookup: int = Field(0, ge=0, le=32)
    start_timeout_s: float = Field(600.0, gt=0, description="loading + start-up check, per attempt")
    openai: OpenAIGeneratorSettings = OpenAIGeneratorSettings()
    # llama_cpp: None means the bundled Qwen2.5 GGUF assembled by `shiori models prepare`.
    gguf_path: Path | None = None
    # transformers: a local Hugging Face causal-LM folder (optionally with a GGUF file inside it).
    model_path: Path | None = None
    gguf_file: str | None = None
    preload: bool = True  # load at start-up (in the background); False = on the first question
    n_ctx: int = Field(4096, ge=512)
    n_batch: int = Field(512, ge=8)
    threads: int | None = None  # None = number of cores
    max_tokens: int = Field(384, ge=1, le=4096)
    repeat_penalty: float = Field(1.1, ge=1.0)
    fake_script: list[str] | None = None  # fake backend only
    fake_replies: list[list[str]] | None = None  # fake backend only: a script per call, the last repeats
    fake_delay_s: float = Field(0.0, ge=0)


class AnswerSettings(BaseModel):
    k: int = Field(5, ge=1, le=50)  # passages retrieved for the context
    # Prompt tokens for the numbered sources. The default trades time-to-first-token (prompt
    # processing runs at ~75 tokens/s on a 2-core CPU) against answer quality: see README.
    context_tokens: int = Field(450, ge=64)
    select_sentences: bool = True  # keep only the sentences of a passage that bear on the question
    # Abstain without running the model when the best passage's dense similarity is below this.
    abstain_below: float = Field(0.80, ge=-1, le=1)
    slots: int = Field(1, ge=1)  # concurrent generations
    queue: int = Field(4, ge=0)  # requests waiting for a slot before 429
    # The most of those (running + waiting) one API key, or one address without keys, may hold.
    # None = half of slots + queue, at least 1.
    per_caller: int | None = Field(None, ge=1)
    timeout_s: float = Field(180.0, gt=0)  # a generation running longer ends with an error event
    history_turns: int = Field(6, ge=0)
    # Two worked examples before the question (a fact answered in a sentence that opens with it and
    # cites its source; a question declined although its sources are on topic), held in the prefix
    # cache (app.core.prompting; measured in README).
    examples: bool = True
    # A sentence written in another language than the source it cites (an English answer over a
    # Japanese page) is checked by meaning with the search embedder (app.core.crosslingual), not by
    # shared words, which it has almost none of.
    crosslingual_support: bool = True
    # A second look (#15 item 5): for a comparison, or when the best dense score is under
    # `second_look_below`, the model writes up to two search queries, and the answer is written from
    # the union of both rounds. One extra round at most.
    second_look: bool = False
    second_look_below: float | None = Field(None, ge=-1, le=1)
    second_look_tokens: int = Field(48, ge=8, le=256)  # what the model may write for its queries
    # A second attempt when the citation check flags the answer (a sentence no source backs, a cited
    # source that doesn't hold its sentence, no number where one is asked): the model answers once
    # more from the one source that holds most of the question's words, and that answer replaces the
    # first when the check passes it (the `citations` event's `revised_from`). The first answer has
    # streamed by then: time to first token is unchanged (README, Revised answers).
    recheck: bool = True
    # Also send back an answer the check passes when every source it cites holds at least 0.2 less of
    # the question's content units than the best source shown (copied from a neighbouring passage).
    # Chosen on JSQuAD-valid's first 100 (contains 0.82 -> 0.84); on, since two samples never looked
    # at agreed (JSQuAD-valid seed 1, XQuAD-en seed 1: no right answer lost), though XQuAD-en's first
    # sample lost one (README, Revised answers).
    recheck_off_question: bool = True
    # A follow-up the rules detect ("それはいつ？") is rewritten by the model into a question that
    # stands alone, instead of being searched joined with the previous question.
    rewrite_followups: bool = False
    # Abstention as one decision (#15, app.core.abstention): before the model answers, how likely the
    # question is unanswerable from its sources. At or above `refuse_above` Shiori abstains without
    # letting the model write; below `insist_below` the refusal's first token is ruled out and the
    # model answers; in between (and with backends that cannot read the model's odds) the model
    # decides. `decide_by`: `evidence` (default), a logistic model of the best passage's dense
    # similarity, the share of the question's words the sources hold and the model's odds of
    # refusing, fitted for the bundled e5 embedder (with another embedder the model decides);
    # `refusal_odds`, the model's odds alone. Defaults fitted on LIT-RAGBench-en and JSQuAD-valid
    # with and without the gold paragraph: the most answerable questions answered while no set
    # abstains less on its unanswerable ones (bench/abstention_fit.py; README, Abstention). None
    # turns a side off. read_refusal_odds reads the odds for the done event alone.
    read_refusal_odds: bool = False
    refuse_above: float | None = Field(0.9, gt=0, le=1)
    insist_below: float | None = Field(0.4, ge=0, le=1.01)
    decide_by: Literal["refusal_odds", "evidence"] = "evidence"


class IndexSettings(BaseModel):
    sync_interval_s: float = Field(1.0, gt=0)
    snapshot_interval_s: float = Field(30.0, gt=0)


class KeywordSettings(BaseModel):
    enabled: bool = True  # false: no BM25 index (dense search only, less memory)
    analyzer: Literal["mecab", "fake"] = "mecab"
    # Anserini's passage defaults, not tuned here (on JSQuAD they beat Lucene's 1.2/0.75, XQuAD: a tie).
    k1: float = Field(0.9, gt=0)
    b: float = Field(0.4, ge=0, le=1)


class SearchSettings(BaseModel):
    mode: Literal["hybrid", "dense", "keyword"] = "hybrid"  # default when a request names none
    candidates: int = Field(50, ge=1, le=1000)  # per signal (dense, each keyword field), before fusion
    # Fusion (README, "How search ranks"): each signal's scores z-scored over the candidate pool, then
    # summed with weights: dense 1 - keyword_weight, keyword_weight split evenly over the BM25 fields.
    fusion: Literal["zscore", "minmax", "rrf"] = "zscore"
    keyword_weight: float = Field(0.5, ge=0, le=1)
    rrf_k: int = Field(60, ge=1)
    # Maximal marginal relevance over the final list (1.0 = off): trades relevance for passages
    # that don't repeat each other.
    mmr_lambda: float = Field(1.0, ge=0, le=1)


class RerankSettings(BaseModel):
    backend: Literal["none", "cross-encoder", "fake"] = "none"
    model_path: Path | None = None  # a local sentence-transformers CrossEncoder folder
    top_n: int = Field(20, ge=1, le=200)  # fused candidates the reranker re-scores
    batch_size: int = Field(16, ge=1)
    max_length: int = Field(512, ge=16)
    device: str = "cpu"


class WorkerSettings(BaseModel):
    embedded: bool = True  # run an ingestion worker thread inside `shiori serve`
    # Jobs one process works on at once (threads, each claiming its own job): with two, a long document
    # (a 200-page scan is minutes of OCR) never holds up the small ones queued behind it.
    threads: int = Field(2, ge=1, le=16)
    poll_interval_s: float = Field(0.5, gt=0)
    lease_s: float = Field(60.0, gt=1)
    max_attempts: int = Field(3, ge=1)
    backoff_base_s: float = Field(5.0, ge=0)
    backoff_max_s: float = Field(300.0, ge=0)


class LimitsSettings(BaseModel):
    max_upload_bytes: int = Field(100 * 1024 * 1024, ge=1)
    max_files_per_upload: int = Field(20, ge=1)
    max_pages: int = Field(5_000, ge=1)
    max_k: int = Field(100, ge=1)
    max_query_chars: int = Field(2_000, ge=1)
    # Any request body but an upload's (JSON), refused before it is parsed. Fits /api/v1/ask's
    # largest history (50 messages of 20,000 characters) even with every character \u-escaped.
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    # Requests per minute per API key (per client address when auth is off); 0 = no limit. Bursts of
    # up to `rate_burst` are allowed; past that the API answers 429 with Retry-After. Per process.
    rate_per_minute: int = Field(600, ge=0)
    rate_burst: int = Field(120, ge=1)


class IngestSettings(BaseModel):
    # Keep the box of every character of PDF and OCR'd pages (pages.boxes), so a citation's span can be
    # drawn on the page (GET /api/v1/documents/{id}/pages/{n}/boxes). Off: those pages have no boxes.
    char_boxes: bool = True


class OcrSettings(BaseModel):
    """OCR with Tesseract (its CLI, one subprocess a page) for scans, photos of pages and PDF pages
    whose text layer is garbage. Defaults measured by bench/ocr.py on 2 cores."""

    # None = auto: on where the `tesseract` program is found. Off (or not installed): scanned pages
    # are skipped and a document with nothing else fails with a message naming the packages.
    enabled: bool | None = None
    # Measured (bench/ocr.py, 3 A4 pages a cell, 2 cores): 200 dpi had the lowest or near-lowest CER
    # on Japanese (clean 1.1% horizontal, 1.2% vertical; speckled and skewed 3.1% / 8.0%) at 2.2-3.0 s
    # a page; 300 dpi cost 10-25% more time and did no better (worse on speckled vertical pages);
    # 150 dpi did as well on clean pages but worse on speckled horizontal ones (6.5%).
    dpi: int = Field(200, ge=72, le=600, description="resolution PDF pages are rendered at for OCR")
    max_pages: int = Field(200, ge=0, description="pages OCR'd per document; the rest are skipped")
    time_budget_s: float = Field(900.0, gt=0, description="OCR time per document; then pages are skipped")
    page_timeout_s: float = Field(120.0, gt=0, description="one Tesseract run; longer is killed")
    # Mean word confidence (0-100, weighted by characters) below which a page is skipped as unreadable
    # rather than indexed as noise. Measured (bench/ocr.py pages, 200 dpi): clean and speckled or
    # skewed pages 70-96; the corpus's Chinese scan read with jpn 60 (most characters right); pages
    # too blurred to read 10-45 (CER 50-100%). Blank pages, photos and noise give no words at all.
    min_confidence: float = Field(55.0, ge=0, le=100)
    languages: str = Field("jpn+eng", description="Tesseract languages for horizontal text")
    vertical_languages: str = Field(
        "jpn_vert+eng", description="for vertical Japanese; empty: never try vertical"
    )
    command: str = "tesseract"
    # Despeckle and deskew page images before Tesseract (ingestion/ocr/preprocess.py; clean, straight
    # pages pass unchanged). Measured (bench/ocr.py, 3 pages a cell, speckled pages skewed 1 degree,
    # 150/200/300 dpi): CER horizontal Japanese 6.5/3.1/6.1% -> 1.3/0.7/0.8%, vertical 6.4/8.0/24.5%
    # -> 1.7/2.1/0.7%, English 6.6/6.1/2.8% -> 0.3/0.4/0.5%; clean pages read the same. Cost on an A4
    # page at 200 dpi: 40 ms clean, 150 ms speckled and skewed (Tesseract: 2-5 s). Off: read as scanned.
    preprocess: bool = Field(True, description="despeckle and deskew page images before OCR")


class PageImageSettings(BaseModel):
    """Page images for the citation view (GET /api/v1/documents/{id}/pages/{n}/image)."""

    cache_mb: int = Field(512, ge=0, description="disk kept for rendered pages; least recently used go first")
    render_timeout_s: float = Field(30.0, gt=0, description="one page's render in its child process")


class AuthSettings(BaseModel):
    # auto: keys are required when the server listens on anything but loopback; required: always;
    # disabled: never (say so explicitly to serve a network without keys).
    mode: Literal["auto", "required", "disabled"] = "auto"
    cache_s: float = Field(5.0, ge=0, description="how long a key lookup is reused (revocation delay)")


class CorsSettings(BaseModel):
    # Off unless origins are listed, e.g. SHIORI_CORS__ALLOW_ORIGINS='["https://app.example.com"]'.
    allow_origins: list[str] = Field(default_factory=list)
    allow_credentials: bool = False
    max_age_s: int = Field(600, ge=0)


class LogSettings(BaseModel):
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class MetricsSettings(BaseModel):
    enabled: bool = True  # GET /metrics in the Prometheus text format
    public: bool = False  # true: /metrics without a key even when auth is on (else: an admin key)


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    # Host names the server answers to (the Host header), against DNS rebinding. Empty = automatic:
    # loopback names when listening on loopback, any name otherwise (keys are then required).
    # "*" allows any; a leading dot allows subdomains (".example.com").
    allowed_hosts: list[str] = Field(default_factory=list)
    # Behind a reverse proxy: take the client address and scheme from X-Forwarded-For/-Proto, but only
    # from these peers. Off by default, so a caller can't pick its own address to dodge the rate limit.
    proxy_headers: bool = False
    forwarded_allow_ips: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SHIORI_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    paths: PathsSettings = PathsSettings()
    db: DatabaseSettings = DatabaseSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    generator: GeneratorSettings = GeneratorSettings()
    answer: AnswerSettings = AnswerSettings()
    index: IndexSettings = IndexSettings()
    keyword: KeywordSettings = KeywordSettings()
    search: SearchSettings = SearchSettings()
    rerank: RerankSettings = RerankSettings()
    worker: WorkerSettings = WorkerSettings()
    limits: LimitsSettings = LimitsSettings()
    ingest: IngestSettings = IngestSettings()
    ocr: OcrSettings = OcrSettings()
    page_images: PageImageSettings = PageImageSettings()
    server: ServerSettings = ServerSettings()
    auth: AuthSettings = AuthSettings()
    cors: CorsSettings = CorsSettings()
    log: LogSettings = LogSettings()
    metrics: MetricsSettings = MetricsSettings()
    default_collection: str = "default"

    @property
    def database_url(self) -> str:
        if self.db.url:
            return self.db.url
        return f"sqlite:///{(self.paths.data_dir / 'shiori.db').resolve()}"

    @property
    def embedding_model_path(self) -> Path:
        return self.embedding.model_path or self.paths.models_dir / "multilingual-e5-small"

    @property
    def generator_gguf_path(self) -> Path:
        return self.generator.gguf_path or self.paths.models_dir / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
