// The tray icon while folders are watched: the app keeps signing what lands in them with its window closed.
import { Menu, Tray, nativeImage, type NativeImage } from 'electron';
import type { WatchFolder } from '../../core/watch/folders.ts';

// A shield with a tick, 16 and 32 px PNGs, rendered with sharp from this SVG (viewBox 0 0 32 32):
//   <path d="M16 2 L28 7 V15 C28 23 22.5 28.5 16 30 C9.5 28.5 4 23 4 15 V7 Z" fill="#1f6feb"/>
//   <path d="M10 16 L14.5 20.5 L22.5 11.5" stroke="#fff" stroke-width="3.2" fill="none" stroke-linecap="round"/>
const ICON_16 =
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAACXBIWXMAAAsTAAALEwEAmpwYAAABQElEQVQ4jbVSvUoDQRC+ThB8AAt3SQjYWIq+gK9gb2M6Zy+KaGWrhRaWgjaChQh2Ea0UVFC0DyRNmgOzcwlqTE7M7Y2MchDu1pwR/GBg2e9nlp1xnP9AYak6IpSel4A3UuGjACyOF73RTKNwn/IS9JYERKmQ+kuAfpaAu6yxmxWWJWiTNKYKtGFtKkBmGRM1dMDhdUB+21C+9IeA7XKHGKcP74NeoEMmds46dHDVpZz7LVw5alMUEd1WP6iwHIfqMP2JgA0m9y+7X91O7gNa2HuhXkhU8Xo0teb3TQQblinoCya5M5sZJiLyWoZmN5qJkeK5LWAxFnDI8V1AzTdDc5ut1J+w1rp9ErCWvQdYY61llRxnwsVpAfr1JzNzrLGaY+RK/oxQum55dp25geYYk6s4JgHXhdIVLj7z3a/Mw+ITjHB0NeLufOAAAAAASUVORK5CYII=';
const ICON_32 =
  'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAACXBIWXMAAAsTAAALEwEAmpwYAAACXklEQVRYhe2WS2tTQRTHhyoKLnygm6qZ0bYiFHEj7nQj7hWkXyEgkjMhPoKLEnFhixsraKELP4CKm9aNlmxE6gPpQpGKEDdSqefcxJQkmsQ0IyeaNrm913tz8xDUPxwIYWb+vzln5twR4r8CaCjyfrPUOKKAnipNryRQuD+8uEV0WzK6NKAAxxUQKU2mMSRgVgHd5DGddU2YPhm1TipN95TGit14XQCuKMBZzpAYMRsC+w7EM9tCgFoBpTxNXWEoJTXF+2OLu3wbS6AjStOU0lQIbGwvj6YiZzAEn495AqgOmbrFvwMwfMn6MwCDMTKPXpcMa2a+2FuAfVEyD14WTaMOxa3eAUzOfm0yT74t9S4Dl+/mmswXPn1ft/tAAAfOW+b6w0It+LeTefjOsqmsrJl/TFfM0dF0wEMIlG+cMD6TX134ybuyOXihGeLMRNZ8K1dXx2TyVXPiWsYtUzk/GfjgBmCHYCM2rItBGMi1VEApTwAJ+LxxEpuxqR3i+NVMLdV1cQm4FL87J1LjM28AjbftE50gymveNY3ez3kfVsBbfkpw2mmyE0RdfP189YkInfIEGIpYW92+hE4Q3Hi4AfkAKPDangAsftm4LcQQj9/8bLXccrn1+tm9BLoh/Gowlg5JwFKQj43z4aPinoi1V7QiqSnu18AHwEXRshKmTwEm2wYATPJarQMIvhFftkvAF23sfH73ueWdoh3Js9kdEnCuZXPAOZ4rOqKE2ag0XfH1LNdY5Vs0nDCbRKcl+cUMOF0zcTTGaR4juq39sHRYahyTGhd+xRj/13Vj8TfqB5hbovXqmxcwAAAAAElFTkSuQmCC';

function icon(): NativeImage {
  const image = nativeImage.createFromBuffer(Buffer.from(ICON_16, 'base64'), { scaleFactor: 1 });
  image.addRepresentation({ scaleFactor: 2, buffer: Buffer.from(ICON_32, 'base64') });
  return image;
}

export class WatchTray {
  #tray: Tray | null = null;
  readonly #open: () => void;
  readonly #quit: () => void;

  constructor(actions: { open: () => void; quit: () => void }) {
    this.#open = actions.open;
    this.#quit = actions.quit;
  }

  get shown(): boolean {
    return this.#tray !== null;
  }

  /** Shows the icon while any folder is watched, with the folders in its menu; removes it when none is. */
  update(folders: readonly WatchFolder[]): void {
    if (folders.length === 0) {
      this.#tray?.destroy();
      this.#tray = null;
      return;
    }
    if (!this.#tray) {
      this.#tray = new Tray(icon());
      this.#tray.on('click', this.#open);
    }
    const tray = this.#tray;
    tray.setToolTip(`Custody: watching ${folders.length} folder${folders.length === 1 ? '' : 's'}`);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Open Custody', click: this.#open },
        { type: 'separator' },
        ...folders.map((f) => ({ label: `Watching ${f.path}`, enabled: false })),
        { type: 'separator' },
        { label: 'Stop watching and quit', click: this.#quit },
      ]),
    );
  }
}
