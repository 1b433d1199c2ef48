// The data the video core hands to the sign and verify pipelines. Plain JSON-able objects: they go into the
// desk database (one row per segment plus the parent) and over the wire to the hub.

/** Identifies how a fingerprint was computed; a change to sampling, decoding or chaining gets a new name. */
export const VIDEO_FINGERPRINT_ALGORITHM = 'custody-video-v1';

/** One 5-second stretch of the video and its link in the hash chain. */
export interface VideoSegment {
  index: number;
  /** Seconds from the first video frame; `end` is exclusive, and the last segment ends at the video's duration. */
  start: number;
  end: number;
  /** The 8-byte pHashes (16 hex digits) of the frames sampled at start, start + 1/R, … < end, in order. */
  frameHashes: string[];
  /** SHA-256(ph_0 ‖ … ‖ ph_k ‖ previous segment's hash), hex; the first segment chains from 32 zero bytes. */
  hash: string;
}

export interface VideoFingerprint {
  algorithm: typeof VIDEO_FINGERPRINT_ALGORITHM;
  /** SHA-256 of the whole file, hex. */
  sha256: string;
  /** Duration of the video stream in seconds (the container's when the stream does not state one). */
  durationSec: number;
  /** The source's average frame rate, frames per second (0 when the file does not say). */
  fps: number;
  /** ffmpeg's codec name, e.g. 'h264', 'hevc', 'vp9'. */
  codec: string;
  /** Displayed size, after the rotation the file asks for. */
  width: number;
  height: number;
  /** Frames sampled per second (1, 0.5, 0.2 or 0.1 by duration; see sampleRateFor). Frame j is at j / sampleRate s. */
  sampleRate: number;
  segments: VideoSegment[];
  /** The last segment's hash, hex. */
  chainHash: string;
}

export type SegmentStatus = 'match' | 'similar' | 'changed' | 'missing' | 'extra';

export interface SegmentComparison {
  /** The signed segment's index; for 'extra', the candidate's segment index. */
  index: number;
  /** The signed segment's time range; for 'extra', the time range in the candidate. */
  start: number;
  end: number;
  status: SegmentStatus;
  /** Where the footage compared with this segment sits in the candidate (absent for 'missing'). */
  candidateStart?: number;
  candidateEnd?: number;
  /** Mean pHash Hamming distance over the aligned frames (absent when no frame could be compared). */
  meanDistance?: number;
}

export interface VideoComparison {
  /** The candidate's chain hash equals the signed one: every sampled frame is pHash-identical and in place. */
  chainIntact: boolean;
  /** Signed segments in time order, with 'extra' candidate footage inserted where it sits in the candidate. */
  segments: SegmentComparison[];
  /** Share of the signed duration whose segments are 'match' or 'similar', in [0, 1]. */
  tracedFraction: number;
}
