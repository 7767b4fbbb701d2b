/**
 * A local stand-in for the GitHub REST endpoints the watchdog uses: a workflow run, the jobs of an
 * attempt, a check run's annotations, and rerun-failed-jobs. Payloads carry GitHub's field names and
 * shapes (a job's id is its check run's id), pages follow `per_page`/`page` with a `link` header,
 * every request must carry the token (`authorization: token|Bearer <token>`, 401 otherwise), and
 * every request is recorded so a test can see exactly what was sent. Faults play a flaky GitHub: an
 * error answer with any headers (retry-after, x-ratelimit-*), a dropped connection, no answer at
 * all, or an answer lost after the request took effect.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRun {
  id: number;
  name: string;
  display_title: string;
  path: string;
  status: string;
  conclusion: string | null;
  run_attempt: number;
  run_number: number;
  event: string;
  head_branch: string;
  head_sha: string;
  workflow_id: number;
  html_url: string;
  created_at: string;
  updated_at: string;
}

export interface FakeStep {
  name: string;
  status: string;
  conclusion: string | null;
  number: number;
  started_at: string | null;
  completed_at: string | null;
}

export interface FakeJob {
  id: number;
  run_id: number;
  run_attempt: number;
  name: string;
  status: string;
  conclusion: string | null;
  head_branch: string;
  started_at: string;
  completed_at: string | null;
  html_url: string;
  check_run_url: string;
  labels: string[];
  runner_name: string | null;
  steps: FakeStep[];
}

export interface FakeAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column: number | null;
  end_column: number | null;
  annotation_level: 'notice' | 'warning' | 'failure';
  title: string | null;
  message: string;
  raw_details: string | null;
  blob_href: string;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  path: string;
  /** Path without the query. */
  pathname: string;
  /** The `authorization` header as sent, or undefined. */
  authorization: string | undefined;
  status: number;
}

export interface GitHubApiOptions {
  /** Default `ghs_watchdog_test_token`. */
  token?: string;
  /** `owner/name`; default `octo-org/durable-repo`. */
  repository?: string;
}

export interface Fault {
  method?: string;
  /** Matched against the path without the query. */
  path: RegExp;
  /** The answer's status; ignored with `reset`. */
  status: number;
  message: string;
  /** Extra answer headers, such as `retry-after` or `x-ratelimit-remaining`. */
  headers?: Record<string, string>;
  /** No answer at all: the connection is dropped, as a network failure does. */
  reset?: boolean;
  /** No answer at all: the connection stays open and silent until the client gives up on it. */
  hang?: boolean;
  /** The request takes effect (a re-run starts), then its answer is lost and this fault answers instead. */
  afterEffect?: boolean;
  /** How many requests it answers; default every one. */
  times?: number;
}

export interface FakeGitHubApi {
  /** Base URL for the REST API (what GITHUB_API_URL would be). */
  readonly url: string;
  readonly token: string;
  readonly repository: string;
  readonly requests: RecordedRequest[];
  /** Adds a run with GitHub-like defaults for everything not given. */
  addRun(run: Partial<FakeRun> & { id: number }): FakeRun;
  updateRun(id: number, patch: Partial<FakeRun>): void;
  getRun(id: number): FakeRun | undefined;
  /** The jobs of one attempt of a run, in order; `status` defaults to completed. */
  setJobs(runId: number, attempt: number, jobs: Array<Partial<FakeJob> & { id: number; name: string }>): void;
  setAnnotations(jobId: number, annotations: Array<Partial<FakeAnnotation> & { message: string }>): void;
  fail(fault: Fault): void;
  /** Forgets every run, job, annotation, fault and recorded request. */
  reset(): void;
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';

export async function startGitHubApi(options: GitHubApiOptions = {}): Promise<FakeGitHubApi> {
  const token = options.token ?? 'ghs_watchdog_test_token';
  const repository = options.repository ?? 'octo-org/durable-repo';
  const runs = new Map<number, FakeRun>();
  const jobs = new Map<string, FakeJob[]>();
  const annotations = new Map<number, FakeAnnotation[]>();
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  const time = '2026-01-05T10:00:00Z';
  let base = '';

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const authorization = req.headers.authorization;
    const record: RecordedRequest = { method, path: `${url.pathname}${url.search}`, pathname: url.pathname, authorization, status: 0 };
    requests.push(record);
    // Set by an afterEffect fault: the request is served, then this answer replaces the real one.
    let lostAnswer: Fault | undefined;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      if (lostAnswer) return answerFault(lostAnswer);
      record.status = status;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    const error = (status: number, message: string, headers: Record<string, string> = {}): void =>
      send(status, { message, documentation_url: DOCS, status: String(status) }, headers);
    const answerFault = (fault: Fault): void => {
      lostAnswer = undefined;
      if (fault.reset) {
        record.status = 0;
        res.socket?.destroy();
        return;
      }
      if (fault.hang) {
        record.status = -1;
        return;
      }
      error(fault.status, fault.message, fault.headers);
    };

    // The body is ignored (rerun-failed-jobs takes only an optional enable_debug_logging), but it must be read.
    req.resume();
    req.on('end', () => {
      const presented = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (presented !== token) return error(401, 'Bad credentials');

      const fault = faults.find((f) => (f.method === undefined || f.method === method) && f.path.test(url.pathname) && (f.times ?? 1) > 0);
      if (fault) {
        if (fault.times !== undefined) fault.times--;
        if (fault.afterEffect) lostAnswer = fault;
        else return answerFault(fault);
      }

      const prefix = `/repos/${repository}/`;
      if (!url.pathname.startsWith(prefix)) return error(404, 'Not Found');
      const rest = url.pathname.slice(prefix.length);
      let match: RegExpExecArray | null;

      if (method === 'GET' && (match = /^actions\/runs\/(\d+)$/.exec(rest))) {
        const run = runs.get(Number(match[1]));
        return run ? send(200, run) : error(404, 'Not Found');
      }
      if (method === 'GET' && (match = /^actions\/runs\/(\d+)\/attempts\/(\d+)\/jobs$/.exec(rest))) {
        const run = runs.get(Number(match[1]));
        if (!run || Number(match[2]) > run.run_attempt || Number(match[2]) < 1) return error(404, 'Not Found');
        const list = jobs.get(`${run.id}/${match[2]}`) ?? [];
        return sendPage(url, list, (page) => ({ total_count: list.length, jobs: page }));
      }
      if (method === 'GET' && (match = /^actions\/runs\/(\d+)\/jobs$/.exec(rest))) {
        const run = runs.get(Number(match[1]));
        if (!run) return error(404, 'Not Found');
        // filter=latest (the default) is the newest attempt's jobs; filter=all every attempt's.
        const all = url.searchParams.get('filter') === 'all';
        const list = all
          ? [...jobs.entries()].filter(([key]) => key.startsWith(`${run.id}/`)).flatMap(([, value]) => value)
          : (jobs.get(`${run.id}/${run.run_attempt}`) ?? []);
        return sendPage(url, list, (page) => ({ total_count: list.length, jobs: page }));
      }
      if (method === 'GET' && (match = /^check-runs\/(\d+)\/annotations$/.exec(rest))) {
        const id = Number(match[1]);
        const known = [...jobs.values()].some((list) => list.some((job) => job.id === id));
        if (!known) return error(404, 'Not Found');
        return sendPage(url, annotations.get(id) ?? [], (page) => page);
      }
      if (method === 'POST' && (match = /^actions\/runs\/(\d+)\/rerun-failed-jobs$/.exec(rest))) {
        const run = runs.get(Number(match[1]));
        if (!run) return error(404, 'Not Found');
        if (run.status !== 'completed') return error(403, 'This workflow is already running');
        run.run_attempt++;
        run.status = 'queued';
        run.conclusion = null;
        return send(201, {});
      }
      return error(404, 'Not Found');
    });

    function sendPage<T>(pageUrl: URL, list: T[], shape: (page: T[]) => unknown): void {
      const perPage = Math.min(100, Math.max(1, Number(pageUrl.searchParams.get('per_page') ?? 30) || 30));
      const page = Math.max(1, Number(pageUrl.searchParams.get('page') ?? 1) || 1);
      const last = Math.max(1, Math.ceil(list.length / perPage));
      const links: string[] = [];
      const link = (n: number, rel: string): string => {
        const next = new URL(pageUrl.toString().replace('http://127.0.0.1', base));
        next.searchParams.set('per_page', String(perPage));
        next.searchParams.set('page', String(n));
        return `<${next.toString()}>; rel="${rel}"`;
      };
      if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
      if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
      send(200, shape(list.slice((page - 1) * perPage, page * perPage)), links.length > 0 ? { link: links.join(', ') } : {});
    }
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const htmlBase = `https://github.com/${repository}`;

  return {
    url: base,
    token,
    repository,
    requests,
    addRun(run) {
      const full: FakeRun = {
        name: 'Agent',
        display_title: 'Agent run',
        path: '.github/workflows/agent.yml',
        status: 'completed',
        conclusion: 'failure',
        run_attempt: 1,
        run_number: 7,
        event: 'push',
        head_branch: 'main',
        head_sha: '0123456789abcdef0123456789abcdef01234567',
        workflow_id: 161335,
        html_url: `${htmlBase}/actions/runs/${run.id}`,
        created_at: time,
        updated_at: time,
        ...run,
      };
      runs.set(full.id, full);
      return full;
    },
    updateRun(id, patch) {
      const run = runs.get(id);
      if (!run) throw new Error(`no run ${id}`);
      Object.assign(run, patch);
    },
    getRun: (id) => runs.get(id),
    setJobs(runId, attempt, list) {
      jobs.set(
        `${runId}/${attempt}`,
        list.map((job) => ({
          run_id: runId,
          run_attempt: attempt,
          status: 'completed',
          conclusion: 'success',
          head_branch: 'main',
          started_at: time,
          completed_at: time,
          html_url: `${htmlBase}/actions/runs/${runId}/job/${job.id}`,
          check_run_url: `${base}/repos/${repository}/check-runs/${job.id}`,
          labels: ['ubuntu-latest'],
          runner_name: 'GitHub Actions 2',
          steps: [],
          ...job,
        })),
      );
    },
    setAnnotations(jobId, list) {
      annotations.set(
        jobId,
        list.map((annotation) => ({
          path: '.github',
          start_line: 1,
          end_line: 1,
          start_column: null,
          end_column: null,
          annotation_level: 'failure',
          title: null,
          raw_details: null,
          blob_href: `${htmlBase}/blob/0123456789abcdef0123456789abcdef01234567/.github`,
          ...annotation,
        })),
      );
    },
    fail(fault) {
      faults.push({ ...fault });
    },
    reset() {
      runs.clear();
      jobs.clear();
      annotations.clear();
      faults.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A step as GitHub lists it in a job. */
export function step(number: number, name: string, conclusion: string | null = 'success'): FakeStep {
  return { name, status: 'completed', conclusion, number, started_at: '2026-01-05T10:00:00Z', completed_at: '2026-01-05T10:01:00Z' };
}
