"""The return workflow, one module per phase of a return's story (see docs/architecture.md)."""

from workflows.returns.workflow import ReturnWorkflow

__all__ = ["ReturnWorkflow"]
