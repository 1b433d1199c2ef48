// Where a copy differs from the signed picture: the copy that was dropped and the signed original side by side,
// each with the changed areas outlined. The desk reports areas in the original's pixels; on the copy they are moved
// through the part of the original it shows (a crop) and its scale.
import type { DeskResult } from '../../../core/api/desk-api.ts';

type Report = DeskResult<'verify'>;
type Region = NonNullable<Report['regions']>[number];

const KIND: Record<Region['kind'], string> = {
  changed: 'Changed: something else is shown here',
  smoothed: 'Detail wiped out here (blurred, or something removed)',
  global: 'Changed almost everywhere',
};

interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A region as percentages of a frame (the whole original, or the part a copy shows), clipped to it. */
function place(r: Region, f: Frame): React.CSSProperties | null {
  const x0 = Math.max(r.x, f.x);
  const y0 = Math.max(r.y, f.y);
  const x1 = Math.min(r.x + r.w, f.x + f.w);
  const y1 = Math.min(r.y + r.h, f.y + f.h);
  if (x1 <= x0 || y1 <= y0) return null;
  return { left: `${((x0 - f.x) / f.w) * 100}%`, top: `${((y0 - f.y) / f.h) * 100}%`, width: `${((x1 - x0) / f.w) * 100}%`, height: `${((y1 - y0) / f.h) * 100}%` };
}

function Outlined({ src, alt, regions, frame, testId }: { src: string | null; alt: string; regions: Region[]; frame: Frame; testId: string }) {
  return (
    <figure className="regions-figure" data-testid={testId}>
      <div className="regions-picture">
        {src ? <img src={src} alt={alt} /> : <div className="thumb" aria-hidden="true">▧</div>}
        {regions.map((r, i) => {
          const style = place(r, frame);
          return style && <span key={i} className={`region region-${r.kind}`} style={style} title={KIND[r.kind]} data-testid="region" />;
        })}
      </div>
      <figcaption>{alt}</figcaption>
    </figure>
  );
}

/** `copyUrl`: the dropped copy (null in the desktop app, which has a path and no File); `originalUrl`: the signed picture. */
export function ChangedRegions({ report, copyUrl, originalUrl }: { report: Report; copyUrl: string | null; originalUrl: string | null }) {
  const regions = report.regions ?? [];
  if (!report.original || regions.length === 0) return null;
  const whole = { x: 0, y: 0, w: report.original.width, h: report.original.height };
  const shown = report.footprint ?? whole;
  const kinds = [...new Set(regions.map((r) => r.kind))];
  return (
    <div className="regions" data-testid="regions">
      <h4>Where the picture was changed</h4>
      <div className="regions-pair">
        <Outlined src={copyUrl} alt="The copy you dropped" regions={regions} frame={shown} testId="regions-copy" />
        <Outlined src={originalUrl} alt="The signed original" regions={regions} frame={whole} testId="regions-original" />
      </div>
      <ul className="legend">
        {kinds.map((k) => (
          <li key={k}><span className={`swatch region-${k}`} aria-hidden="true" /> {KIND[k]}</li>
        ))}
      </ul>
    </div>
  );
}
