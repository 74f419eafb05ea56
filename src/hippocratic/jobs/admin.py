"""The queue's health for staff: each scheduled run with its task's status; the task
results themselves (pending, running, failed) are django-tasks-db's admin."""

from django.contrib import admin

from hippocratic.jobs.models import ScheduledRun


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ("job", "slot", "enqueued_at", "status")
    list_filter = ("job",)
    date_hierarchy = "slot"
    readonly_fields = ("job", "slot", "enqueued_at", "task_result_id")

    @admin.display(description="Task")
    def status(self, run):
        from django_tasks_db.models import DBTaskResult

        result = DBTaskResult.objects.filter(pk=run.task_result_id).first()
        return result.status if result else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
