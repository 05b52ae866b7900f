"""asyncio client for weft's interop tests: connects to the port given, sends lines,
half-closes, prints every reply, then what it read at EOF."""
import asyncio
import sys


async def main(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for word in ["hello", "from", "asyncio"]:
        writer.write(f"{word}\n".encode())
        await writer.drain()
        print((await reader.readline()).decode().rstrip("\n"), flush=True)
    writer.write_eof()
    print("eof:", await reader.read(), flush=True)
    writer.close()
    await writer.wait_closed()


asyncio.run(main(int(sys.argv[1])))
