"""Agent-framework exports: OpenAI Agents SDK, LangSmith runs, Langfuse traces."""
