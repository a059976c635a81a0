"""The sandbox's tools: the control plane under /_twoco/, the dashboard, the request journal,
injected faults, fixtures."""
