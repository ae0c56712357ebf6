"""The official OpenAI Python client against Kefu's /v1/chat/completions (test/integration/openai-compatible.test.ts).

Prints one JSON line with what it got: the model list, a non-streamed answer, a streamed one and a refusal.
"""
import json
import sys

from openai import OpenAI

base_url, api_key = sys.argv[1], sys.argv[2]
client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0)

models = [model.id for model in client.models.list()]
answer = client.chat.completions.create(model="kefu", messages=[{"role": "user", "content": "How long does the Pulse Band 3 battery last on one charge?"}])
streamed = ""
finish = None
for chunk in client.chat.completions.create(model="kefu/B", stream=True, messages=[{"role": "user", "content": "手环充满电需要多长时间？"}]):
    if chunk.choices:
        streamed += chunk.choices[0].delta.content or ""
        finish = chunk.choices[0].finish_reason or finish
refusal = client.chat.completions.create(model="kefu", messages=[{"role": "user", "content": "What is the capital of Australia and who designed its parliament building?"}])
print(json.dumps({
    "models": models,
    "answer": answer.choices[0].message.content,
    "answerKefu": answer.model_extra.get("kefu"),
    "streamed": streamed,
    "finish": finish,
    "refusal": refusal.choices[0].message.content,
    "refusalKefu": refusal.model_extra.get("kefu"),
}, ensure_ascii=False))
