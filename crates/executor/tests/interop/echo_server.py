"""asyncio echo server for weft's interop tests: prints its port, echoes each line
upper-cased, and exits after its first client disconnects."""
import asyncio
import sys


async def main():
    done = asyncio.get_running_loop().create_future()

    async def handle(reader, writer):
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
        writer.close()
        await writer.wait_closed()
        if not done.done():
            done.set_result(None)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await done


asyncio.run(main())
sys.exit(0)
