"""A Python BullMQ peer (PyPI ``bullmq``) for fovea-jobs' interop tests.

    python python_worker.py <redisUrl> <queue> <count>

processes <count> jobs (progress 50, then returns {"by": "python", "echo": data}) and exits.
"""

import asyncio
import json
import sys

from bullmq import Worker


async def main(url: str, queue: str, count: int) -> None:
    done = asyncio.Event()
    left = count

    async def process(job, token):
        await job.updateProgress(50)
        return {"by": "python", "echo": job.data}

    worker = Worker(queue, process, {"connection": url})

    def completed(job, result):
        nonlocal left
        left -= 1
        if left == 0:
            done.set()

    worker.on("completed", completed)
    await done.wait()
    await worker.close()
    print(json.dumps({"processed": count}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
