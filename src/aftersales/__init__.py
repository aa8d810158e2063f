"""Aftersales: after-sales service management (售后服务闭环管理系统)."""
