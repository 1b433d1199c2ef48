// The large preview with a loupe, as a picture desk expects: the whole picture fitted, or at 100 % (one picture pixel
// on one screen pixel) panned by dragging or with the arrow keys; the signed copy, the original it was signed from,
// or both split by a slider. The pictures are the files' own bytes (DeskApi picture), for those who may have them;
// others see the preview the library shows.
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { desk, errorText } from '../api.ts';
import { Thumb } from './Thumb.tsx';

type Picture = NonNullable<DeskResult<'picture'>>;
type View = 'signed' | 'original' | 'compare';

const PAN_STEP = 64;

function usePicture(id: string, which: 'signed' | 'original' | 'published', wanted: boolean): { pic: Picture | null; error: string | null; done: boolean } {
  const [state, setState] = useState<{ pic: Picture | null; error: string | null; done: boolean }>({ pic: null, error: null, done: false });
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    setState({ pic: null, error: null, done: false });
    desk.picture({ id, which }).then(
      (pic) => live && setState({ pic, error: null, done: true }),
      (e: unknown) => live && setState({ pic: null, error: errorText(e), done: true }),
    );
    return () => {
      live = false;
    };
  }, [id, which, wanted]);
  return state;
}

export interface LoupeProps {
  id: string;
  alt: string;
  kind: string;
  /** Whether this user may have the signed copy (the policy's fileDownload check); else the published file, if any. */
  mayHaveFiles: boolean;
  published: boolean;
  /** Controlled zoom (the Library's Space key); uncontrolled when absent. */
  zoomed?: boolean;
  onZoom?: (zoomed: boolean) => void;
}

export function Loupe({ id, alt, kind, mayHaveFiles, published, zoomed: zoomedProp, onZoom }: LoupeProps) {
  const [ownZoom, setOwnZoom] = useState(false);
  const zoomed = zoomedProp ?? ownZoom;
  const setZoom = (z: boolean) => (onZoom ? onZoom(z) : setOwnZoom(z));
  const [view, setView] = useState<View>('signed');
  const [split, setSplit] = useState(50);
  const image = kind === 'image';
  const signed = usePicture(id, mayHaveFiles ? 'signed' : 'published', image && (mayHaveFiles || published));
  const original = usePicture(id, 'original', image && mayHaveFiles);
  const box = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; y: number; left: number; top: number } | null>(null);
  const dpr = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;

  useEffect(() => setView('signed'), [id]);
  // Entering 100 % centres the picture, as a loupe opens over the middle.
  useEffect(() => {
    const el = box.current;
    if (!zoomed || !el) return;
    el.scrollLeft = (el.scrollWidth - el.clientWidth) / 2;
    el.scrollTop = (el.scrollHeight - el.clientHeight) / 2;
    el.focus();
  }, [zoomed, signed.pic]);

  const pic = view === 'original' ? original.pic : signed.pic;
  if (!image || (!signed.pic && signed.done) || (!mayHaveFiles && !published)) {
    return (
      <div className="loupe fallback" data-testid="loupe">
        <Thumb id={id} alt={alt} size={512} kind={kind} />
        {image && signed.error && <p className="muted">{signed.error}</p>}
      </div>
    );
  }
  // At 100 %, one picture pixel is one device pixel: CSS pixels are divided by the screen's pixel ratio.
  const size = pic && zoomed ? { width: `${pic.width / dpr}px`, height: `${pic.height / dpr}px` } : undefined;

  const keys = (e: KeyboardEvent<HTMLDivElement>) => {
    const el = box.current;
    if (!zoomed || !el) return;
    const d: Record<string, [number, number]> = { ArrowLeft: [-PAN_STEP, 0], ArrowRight: [PAN_STEP, 0], ArrowUp: [0, -PAN_STEP], ArrowDown: [0, PAN_STEP] };
    const step = d[e.key];
    if (step) {
      e.preventDefault();
      e.stopPropagation();
      el.scrollBy(step[0] * (e.shiftKey ? 4 : 1), step[1] * (e.shiftKey ? 4 : 1));
    } else if (e.key === 'Escape') {
      e.stopPropagation();
      setZoom(false);
    }
  };
  const down = (e: PointerEvent<HTMLDivElement>) => {
    const el = box.current;
    if (!zoomed || !el || (e.target as HTMLElement).tagName === 'INPUT') return;
    drag.current = { x: e.clientX, y: e.clientY, left: el.scrollLeft, top: el.scrollTop };
    el.setPointerCapture(e.pointerId);
  };
  const move = (e: PointerEvent<HTMLDivElement>) => {
    const el = box.current;
    const d = drag.current;
    if (!el || !d) return;
    el.scrollLeft = d.left - (e.clientX - d.x);
    el.scrollTop = d.top - (e.clientY - d.y);
  };
  const up = () => {
    drag.current = null;
  };

  return (
    <div className="loupe" data-testid="loupe">
      <div className="loupe-bar" role="toolbar" aria-label="Preview">
        <div className="seg" role="group" aria-label="Which picture">
          <button aria-pressed={view === 'signed'} onClick={() => setView('signed')}>{mayHaveFiles ? 'Signed' : 'Published'}</button>
          {original.pic && (
            <>
              <button aria-pressed={view === 'original'} onClick={() => setView('original')}>Original</button>
              <button aria-pressed={view === 'compare'} onClick={() => setView('compare')}>Compare</button>
            </>
          )}
        </div>
        <button aria-pressed={zoomed} onClick={() => setZoom(!zoomed)} title="Space">{zoomed ? 'Fit' : '100 %'}</button>
        {pic && <span className="muted small">{pic.width} × {pic.height}{pic.scaled ? ' (shown smaller)' : ''}</span>}
      </div>
      {original.done && !original.pic && mayHaveFiles && <p className="muted small" data-testid="no-original">The original is no longer where it was signed from, so there is nothing to compare.</p>}
      <div
        ref={box}
        className={`loupe-view${zoomed ? ' zoomed' : ''}`}
        tabIndex={0}
        aria-label={zoomed ? 'Picture at 100 %: drag or use the arrow keys to move, Escape to fit' : 'Picture, fitted: Space or the 100 % button to zoom'}
        onKeyDown={keys}
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={up}
        onDoubleClick={() => setZoom(!zoomed)}
      >
        {!pic ? (
          <span className="muted">Loading the picture…</span>
        ) : (
          <div className="loupe-stack" style={size}>
            <img src={pic.dataUrl} alt={alt} draggable={false} data-testid="loupe-img" />
            {view === 'compare' && original.pic && signed.pic && (
              <>
                <img className="loupe-over" src={original.pic.dataUrl} alt="" draggable={false} style={{ clipPath: `inset(0 ${100 - split}% 0 0)` }} data-testid="loupe-original" />
                <span className="loupe-split" style={{ left: `${split}%` }} aria-hidden="true" />
              </>
            )}
          </div>
        )}
      </div>
      {view === 'compare' && (
        <label className="loupe-slider">
          Original ◂ ▸ Signed
          <input type="range" min={0} max={100} value={split} onChange={(e) => setSplit(Number(e.target.value))} />
        </label>
      )}
    </div>
  );
}
