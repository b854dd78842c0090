/**
 * EXIF for the attachment tests: an APP1 segment carrying a GPS location (and a camera make) to put
 * into a JPEG, and a reader that says whether a JPEG carries EXIF GPS data (JPEG markers, TIFF IFD0,
 * the GPSInfo tag 0x8825; CIPA DC-008 "Exif 2.32" §4.6).
 */

/** TIFF tag of the GPS IFD pointer in IFD0. */
const GPS_INFO_TAG = 0x8825;
/** TIFF tag of the camera make. */
const MAKE_TAG = 0x010f;

/**
 * An APP1 "Exif" segment (big-endian TIFF) whose IFD0 has the camera make "VollyCam" and a GPS IFD
 * with latitude 48° 51′ N (GPSLatitudeRef, GPSLatitude).
 */
export function exifGpsSegment(): Uint8Array {
  const tiff: number[] = [];
  const u16 = (v: number) => tiff.push((v >> 8) & 0xff, v & 0xff);
  const u32 = (v: number) => tiff.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  const make = [...new TextEncoder().encode("VollyCam"), 0];
  // header: "MM", 42, IFD0 at 8
  tiff.push(0x4d, 0x4d);
  u16(42);
  u32(8);
  // IFD0 at 8: 2 entries (12 bytes each) + next-IFD offset → ends at 8 + 2 + 24 + 4 = 38
  const makeAt = 38;
  const gpsAt = makeAt + make.length;
  u16(2);
  u16(MAKE_TAG);
  u16(2); // ASCII
  u32(make.length);
  u32(makeAt);
  u16(GPS_INFO_TAG);
  u16(4); // LONG
  u32(1);
  u32(gpsAt);
  u32(0);
  tiff.push(...make);
  // GPS IFD: 2 entries → ends at gpsAt + 2 + 24 + 4; then the latitude rationals
  const latAt = gpsAt + 30;
  u16(2);
  u16(0x0001); // GPSLatitudeRef
  u16(2);
  u32(2);
  tiff.push(0x4e, 0, 0, 0); // "N\0" inline
  u16(0x0002); // GPSLatitude
  u16(5); // RATIONAL
  u32(3);
  u32(latAt);
  u32(0);
  for (const [n, d] of [
    [48, 1],
    [51, 1],
    [0, 1],
  ] as const) {
    u32(n);
    u32(d);
  }
  const body = [...new TextEncoder().encode("Exif"), 0, 0, ...tiff];
  const length = body.length + 2;
  return new Uint8Array([0xff, 0xe1, (length >> 8) & 0xff, length & 0xff, ...body]);
}

/** `jpeg` with {@link exifGpsSegment} inserted right after its SOI marker. */
export function withExifGps(jpeg: Uint8Array): Uint8Array {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error("not a JPEG");
  const segment = exifGpsSegment();
  const out = new Uint8Array(jpeg.length + segment.length);
  out.set(jpeg.subarray(0, 2));
  out.set(segment, 2);
  out.set(jpeg.subarray(2), 2 + segment.length);
  return out;
}

/** The TIFF data of a JPEG's EXIF APP1 segment, if it has one. */
function exifTiff(jpeg: Uint8Array): DataView | undefined {
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1] as number;
    if (marker === 0xda || marker === 0xd9) return undefined; // image data: no more metadata segments
    const length = ((jpeg[at + 2] as number) << 8) | (jpeg[at + 3] as number);
    const header = String.fromCharCode(...jpeg.subarray(at + 4, at + 8));
    if (marker === 0xe1 && header === "Exif") {
      return new DataView(jpeg.buffer, jpeg.byteOffset + at + 10, length - 8);
    }
    at += 2 + length;
  }
  return undefined;
}

/** Whether the JPEG `jpeg` carries EXIF with a GPS IFD (a location). */
export function hasExifGps(jpeg: Uint8Array): boolean {
  const tiff = exifTiff(jpeg);
  if (!tiff || tiff.byteLength < 8) return false;
  const little = tiff.getUint16(0) === 0x4949;
  const ifd0 = tiff.getUint32(4, little);
  const count = tiff.getUint16(ifd0, little);
  for (let i = 0; i < count; i++) {
    if (tiff.getUint16(ifd0 + 2 + i * 12, little) === GPS_INFO_TAG) return true;
  }
  return false;
}

/** Whether `jpeg` has an EXIF segment at all. */
export function hasExif(jpeg: Uint8Array): boolean {
  return exifTiff(jpeg) !== undefined;
}
