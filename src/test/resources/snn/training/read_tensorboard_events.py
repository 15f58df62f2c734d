"""Reads a TensorBoard event file from the formats' own definitions, independently of snn's writer.

TFRecord (tensorflow/core/lib/io/record_writer.cc): uint64 length (little-endian), uint32 masked CRC-32C of the
length's 8 bytes, the data, uint32 masked CRC-32C of the data; masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8
(mod 2^32). CRC-32C is the Castagnoli CRC (reflected polynomial 0x82f63b78).
Event (tensorflow/core/util/event.proto): wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
summary = 5 (Summary). Summary (tensorflow/core/framework/summary.proto): repeated Value value = 1;
Value: tag = 1 (string), simple_value = 2 (float).
Protocol buffer wire format: key = (field << 3) | wire type; 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit.

Prints the events as JSON: [{"wall_time": ..., "step": ..., "file_version": ...?, "values": {tag: value}}].
Exits with status 1 and a message on any framing or checksum error.
"""
import json
import struct
import sys

POLY = 0x82F63B78
TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, i):
    shift = 0
    value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def fields(buf):
    """Yields (field number, wire type, value) of a message; value is bytes, an int or raw fixed bytes."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            length, i = varint(buf, i)
            value, i = buf[i:i + length], i + length
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield field, wire, value


def event(data):
    out = {}
    for field, wire, value in fields(data):
        if field == 1 and wire == 1:
            out["wall_time"] = struct.unpack("<d", value)[0]
        elif field == 2 and wire == 0:
            out["step"] = value
        elif field == 3 and wire == 2:
            out["file_version"] = value.decode("utf-8")
        elif field == 5 and wire == 2:
            values = {}
            for f, w, v in fields(value):
                if f == 1 and w == 2:
                    tag, simple = None, None
                    for vf, vw, vv in fields(v):
                        if vf == 1 and vw == 2:
                            tag = vv.decode("utf-8")
                        elif vf == 2 and vw == 5:
                            simple = struct.unpack("<f", vv)[0]
                    values[tag] = simple
            out["values"] = values
    return out


def main(path):
    raw = open(path, "rb").read()
    i = 0
    events = []
    while i < len(raw):
        if i + 12 > len(raw):
            sys.exit("truncated record header at byte %d" % i)
        header = raw[i:i + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", raw[i + 8:i + 12])
        if masked(header) != length_crc:
            sys.exit("bad length CRC at byte %d" % i)
        data = raw[i + 12:i + 12 + length]
        (data_crc,) = struct.unpack("<I", raw[i + 12 + length:i + 16 + length])
        if len(data) != length or masked(data) != data_crc:
            sys.exit("bad data CRC at byte %d" % i)
        events.append(event(data))
        i += 16 + length
    print(json.dumps(events))


if __name__ == "__main__":
    main(sys.argv[1])
