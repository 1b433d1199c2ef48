// A signed item's preview, fetched from the desk when it scrolls into view and kept for the session.
import { useEffect, useRef, useState } from 'react';
import { desk } from '../api.ts';

const cache = new Map<string, Promise<string | null>>();

function load(id: string, size: number): Promise<string | null> {
  const key = `${id}:${size}`;
  let p = cache.get(key);
  if (!p) {
    p = desk.thumbnail({ id, size }).then((r) => r.dataUrl, () => null);
    cache.set(key, p);
  }
  return p;
}

export function Thumb({ id, alt, size = 240, kind = 'image' }: { id: string; alt: string; size?: number; kind?: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let live = true;
    const start = () => void load(id, size).then((s) => live && setSrc(s));
    if (typeof IntersectionObserver === 'undefined') start();
    else {
      const io = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          io.disconnect();
          start();
        }
      });
      io.observe(el);
      return () => {
        live = false;
        io.disconnect();
      };
    }
    return () => {
      live = false;
    };
  }, [id, size]);
  return (
    <div className="thumb" ref={box}>
      {src ? <img src={src} alt={alt} /> : <span aria-hidden="true">{kind === 'video' ? '🎞' : '▧'}</span>}
    </div>
  );
}
