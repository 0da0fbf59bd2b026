"""Every OpenTelemetry attribute, span and event name agentwrap writes, in one place.

The GenAI names follow the semantic conventions v1.41 (see GENAI-SEMCONV in the docs). They are
string literals rather than imports from ``opentelemetry-semantic-conventions``: that package
marks them deprecated from 0.65b0 on, and importing deprecated names would warn in user code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentwrap.records import LLMRequest

# Operation and provider
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
GEN_AI_OUTPUT_TYPE = "gen_ai.output.type"

# Request
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_REQUEST_PREFIX = "gen_ai.request."
GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID = "gen_ai.request.previous_response.id"

# Response
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"

# Usage
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"

# Cost: the conventions' proposal (semantic-conventions-genai PR #443, not yet released):
# amount (double), currency (ISO 4217) and source ("provider" | "local") on inference spans,
# and the metric gen_ai.client.operation.cost.
GEN_AI_USAGE_COST_AMOUNT = "gen_ai.usage.cost.amount"
GEN_AI_USAGE_COST_CURRENCY = "gen_ai.usage.cost.currency"
GEN_AI_USAGE_COST_SOURCE = "gen_ai.usage.cost.source"
GEN_AI_CLIENT_OPERATION_COST = "gen_ai.client.operation.cost"

# Opt-in content
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions"

# Tools
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"

# Agents
GEN_AI_AGENT_NAME = "gen_ai.agent.name"

# Generic
ERROR_TYPE = "error.type"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"

# Operation names
OP_CHAT = "chat"
OP_EMBEDDINGS = "embeddings"
OP_EXECUTE_TOOL = "execute_tool"
OP_INVOKE_AGENT = "invoke_agent"
OP_GENERATE_CONTENT = "generate_content"
OP_TEXT_COMPLETION = "text_completion"

# agentwrap's own attributes (not part of the GenAI conventions)
AGENTWRAP_PROMPT_HASH = "agentwrap.prompt.hash"
AGENTWRAP_PROMPT_VERSION_HASH = "agentwrap.prompt.version_hash"
AGENTWRAP_USAGE_ESTIMATED = "agentwrap.usage.estimated"
AGENTWRAP_STREAM_COMPLETED = "agentwrap.stream.completed"
# True on a call the model refused (the conventions have no refusal part: with content capture
# the refusal is a text part of gen_ai.output.messages, and this says what that text is).
AGENTWRAP_RESPONSE_REFUSAL = "agentwrap.response.refusal"
AGENTWRAP_RUN_ID = "agentwrap.run.id"
AGENTWRAP_RUN_NAME = "agentwrap.run.name"
AGENTWRAP_RUN_RELEASE = "agentwrap.run.release"
AGENTWRAP_RUN_ATTRIBUTE_PREFIX = "agentwrap.run.attribute."
AGENTWRAP_RUN_SUMMARY = "agentwrap.run.summary"
AGENTWRAP_RUN_PARENT_ID = "agentwrap.run.parent_id"
AGENTWRAP_RUN_IMPLICIT = "agentwrap.run.implicit"
# The run summary event's counts (beside the summary itself) and run.terminated's fields.
AGENTWRAP_RUN_TURNS = "agentwrap.run.turns"
AGENTWRAP_RUN_TOOL_CALLS = "agentwrap.run.tool_calls"
AGENTWRAP_RUN_SAME_TOOL_RETRIES = "agentwrap.run.same_tool_retries"
# More of a run's figures, on its summary's OTel log record (and the warning's name on an event's).
AGENTWRAP_RUN_OVERALL_LATENCY = "agentwrap.run.overall_latency"
AGENTWRAP_RUN_TOKENS = "agentwrap.run.tokens"
AGENTWRAP_RUN_WARNINGS = "agentwrap.run.warnings"
AGENTWRAP_WARNING_NAME = "agentwrap.warning.name"
AGENTWRAP_RUN_TERMINATION_PREFIX = "agentwrap.run.termination."
AGENTWRAP_TOOL_ARGUMENTS_HASH = "agentwrap.tool.call.arguments_hash"
AGENTWRAP_TOOL_RESULT_MISSING = "agentwrap.tool.call.result_missing"
AGENTWRAP_TOOL_ARGUMENTS_VALID = "agentwrap.tool.call.arguments_valid"
AGENTWRAP_EVENT_PREFIX = "agentwrap.event."

# Event names
EVENT_RUN_SUMMARY = "run.summary"  # the span event on the run's root span
# The event.name of the summary's OTel log record (a log record, not the span event above).
LOG_EVENT_RUN_SUMMARY = "agentwrap.run.summary"
EVENT_RUN_TERMINATED = "run.terminated"
EVENT_STREAM_ABANDONED = "stream.abandoned"

# Written by the provider patches (through agentwrap.provider.semconv): request, response and
# embeddings attributes, provider-specific ones, and the gen_ai.provider.name values.
GEN_AI_REQUEST_ENCODING_FORMATS = "gen_ai.request.encoding_formats"
GEN_AI_EMBEDDINGS_DIMENSION_COUNT = "gen_ai.embeddings.dimension.count"
OPENAI_API_TYPE = "openai.api.type"
OPENAI_REQUEST_SERVICE_TIER = "openai.request.service_tier"
OPENAI_RESPONSE_SERVICE_TIER = "openai.response.service_tier"
OPENAI_RESPONSE_SYSTEM_FINGERPRINT = "openai.response.system_fingerprint"
PROVIDER_OPENAI = "openai"
PROVIDER_AZURE_AI_OPENAI = "azure.ai.openai"
PROVIDER_ANTHROPIC = "anthropic"
PROVIDER_AWS_BEDROCK = "aws.bedrock"
PROVIDER_GCP_VERTEX_AI = "gcp.vertex_ai"
PROVIDER_GCP_GEMINI = "gcp.gemini"


def call_identity_attributes(request: LLMRequest) -> dict[str, Any]:
    """The attributes that say which call this was, shared by its span and its metrics."""
    attrs: dict[str, Any] = {
        GEN_AI_OPERATION_NAME: request.operation,
        GEN_AI_PROVIDER_NAME: request.provider,
    }
    if request.model:
        attrs[GEN_AI_REQUEST_MODEL] = request.model
    if request.server_address:
        attrs[SERVER_ADDRESS] = request.server_address
    if request.server_port:
        attrs[SERVER_PORT] = request.server_port
    return attrs


__all__ = sorted([*(name for name in dir() if name.isupper()), "call_identity_attributes"])
